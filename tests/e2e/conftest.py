"""The e2e environment: its own control plane and Pebble without CRDs, evercert installed by the real
`helm install`, and the operator running with a token of the chart's ServiceAccount, so that every
request it makes is authorized by the chart's RBAC and nothing else.

It does not share the session environment: no other operator can act on its objects.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from evercert_devenv.binaries import REPO, binary
from evercert_devenv.environment import LOCAL_ISSUER, LocalEnvironment
from evercert_devenv.processes import Server, free_port

from ..conftest import condition, wait_for

CHART = REPO / "deploy" / "helm" / "evercert"
RELEASE = "evercert"
RELEASE_NAMESPACE = "evercert-system"
SERVICE_ACCOUNT = "evercert"
SERVICE_ACCOUNT_USER = f"system:serviceaccount:{RELEASE_NAMESPACE}:{SERVICE_ACCOUNT}"


@dataclass(frozen=True)
class Release:
    """What `helm install` printed and created."""

    output: str
    objects: list[dict[str, Any]]

    def find(self, kind: str) -> dict[str, Any]:
        (found,) = [o for o in self.objects if o["kind"] == kind]
        return found

    def operator_container(self) -> dict[str, Any]:
        (container,) = self.find("Deployment")["spec"]["template"]["spec"]["containers"]
        return dict(container)


@dataclass(frozen=True)
class ChartOperator:
    process: Server
    liveness_url: str


def helm(env: LocalEnvironment, *args: str) -> str:
    result = subprocess.run(
        [binary("helm"), "--kubeconfig", str(env.kubeconfig), *args], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


@pytest.fixture(scope="package")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEnvironment]:
    """Overrides the session environment for tests/e2e: a fresh one, with no CRDs and no operator."""
    started = time.monotonic()
    environment = LocalEnvironment(tmp_path_factory.mktemp("e2e"), with_crds=False)
    try:
        environment.start()
        print(f"\n[e2e] local environment up in {time.monotonic() - started:.1f} s")
        yield environment
    finally:
        environment.stop()


@pytest.fixture(scope="package")
def release(env: LocalEnvironment) -> Release:
    started = time.monotonic()
    output = helm(env, "install", RELEASE, str(CHART), "--namespace", RELEASE_NAMESPACE, "--create-namespace")
    manifest = helm(env, "get", "manifest", RELEASE, "--namespace", RELEASE_NAMESPACE)
    print(f"\n[e2e] helm install in {time.monotonic() - started:.1f} s")
    return Release(output, [doc for doc in yaml.safe_load_all(manifest) if doc])


@pytest.fixture(scope="package")
def chart_operator(env: LocalEnvironment, release: Release) -> Iterator[ChartOperator]:
    """The operator as the chart's Deployment would run it (its args and env), as its ServiceAccount."""
    kubeconfig = env.controlplane.service_account_kubeconfig(
        RELEASE_NAMESPACE, SERVICE_ACCOUNT, env.workdir / "chart-operator.kubeconfig"
    )
    container = release.operator_container()
    # The Pod's port 8080 is its own; here it shares the machine with everything else.
    liveness_url = f"http://127.0.0.1:{free_port()}/healthz"
    args = [arg.replace("http://0.0.0.0:8080/healthz", liveness_url) for arg in container["args"]]
    chart_env = {e["name"]: e["value"] for e in container["env"]}
    process = env.start_operator("chart-operator", kubeconfig=kubeconfig, extra_env=chart_env, args=args)
    env.apply(env.cluster_issuer())
    wait_for(
        lambda: condition(env, "clusterissuer", None, LOCAL_ISSUER, "Ready") == "True",
        60,
        "ClusterIssuer Ready",
        process,
    )
    yield ChartOperator(process, liveness_url)
    process.stop()
    # Every request of the whole e2e run, checked once more at the end.
    assert forbidden_requests(env) == [], "the chart's RBAC refused requests"
    assert permission_errors(process.log_path) == []


def audit_events(env: LocalEnvironment, user: str = SERVICE_ACCOUNT_USER) -> list[dict[str, Any]]:
    """The apiserver's audit records of `user`'s requests (metadata only)."""
    lines = (env.controlplane.workdir / "audit.log").read_text().splitlines()
    return [event for event in map(json.loads, lines) if event.get("user", {}).get("username") == user]


def forbidden_requests(env: LocalEnvironment) -> list[str]:
    """Requests RBAC refused (not those refused for other reasons, e.g. a namespace being deleted)."""
    return [
        f"{e['verb']} {e.get('requestURI')}: {e['annotations'].get('authorization.k8s.io/reason', '')}"
        for e in audit_events(env)
        if (e.get("annotations") or {}).get("authorization.k8s.io/decision") == "forbid"
    ]


def permission_errors(log_path: Path) -> list[str]:
    """Log lines telling of a request RBAC refused, or of kopf working around missing permissions."""
    markers = ('forbidden: User \\"', 'forbidden: User "', "Not enough permissions")
    return [
        line for line in log_path.read_text(errors="replace").splitlines() if any(m in line for m in markers)
    ]
