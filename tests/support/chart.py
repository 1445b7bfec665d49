"""The Helm chart in the e2e environment: `helm install`/`template`, the operator run as the release's
Deployment would run it (its args, env and ServiceAccount), and the apiserver's audit of its requests."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from evercert_devenv.binaries import REPO, binary
from evercert_devenv.environment import LOCAL_ISSUER, LocalEnvironment
from evercert_devenv.processes import Server, free_port, listen_port

from .cluster import condition
from .waiting import wait_for

CHART = REPO / "deploy" / "helm" / "evercert"
RELEASE = "evercert"
RELEASE_NAMESPACE = "evercert-system"


@dataclass(frozen=True)
class Release:
    """What `helm install` printed and created."""

    name: str
    namespace: str
    output: str
    objects: list[dict[str, Any]]

    def find(self, kind: str) -> dict[str, Any]:
        (found,) = [o for o in self.objects if o["kind"] == kind]
        return found

    def operator_container(self) -> dict[str, Any]:
        (container,) = self.find("Deployment")["spec"]["template"]["spec"]["containers"]
        return dict(container)

    @property
    def service_account_user(self) -> str:
        return f"system:serviceaccount:{self.namespace}:{self.find('ServiceAccount')['metadata']['name']}"


@dataclass(frozen=True)
class ChartOperator:
    process: Server
    liveness_url: str
    metrics_url: str
    release: Release


def helm(env: LocalEnvironment, *args: str) -> str:
    result = subprocess.run(
        [binary("helm"), "--kubeconfig", str(env.kubeconfig), *args], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def template(*values: str) -> list[dict[str, Any]]:
    """The chart's objects as `helm template` renders them with `--set` values (no cluster needed)."""
    sets = [arg for value in values for arg in ("--set", value)]
    result = subprocess.run(
        [binary("helm"), "template", RELEASE, str(CHART), "--namespace", RELEASE_NAMESPACE, *sets],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def install(env: LocalEnvironment, name: str, namespace: str, *values: str) -> Release:
    """`helm install` the chart with `--set` values."""
    sets = [arg for value in values for arg in ("--set", value)]
    output = helm(env, "install", name, str(CHART), "--namespace", namespace, "--create-namespace", *sets)
    manifest = helm(env, "get", "manifest", name, "--namespace", namespace)
    return Release(name, namespace, output, [doc for doc in yaml.safe_load_all(manifest) if doc])


@dataclass(frozen=True)
class ChartSettings:
    """How the release's Deployment runs the operator: its ServiceAccount, args and env."""

    kubeconfig: Path
    liveness_url: str
    args: list[str]
    env: dict[str, str]


def chart_settings(env: LocalEnvironment, release: Release, name: str) -> ChartSettings:
    account = release.find("ServiceAccount")["metadata"]["name"]
    kubeconfig = env.controlplane.service_account_kubeconfig(
        release.namespace, account, env.workdir / f"{name}.kubeconfig"
    )
    container = release.operator_container()
    # The Pod's ports (8080, 9402) are its own; here it shares the machine with everything else.
    liveness_url = f"http://127.0.0.1:{free_port()}/healthz"
    args = [arg.replace("http://0.0.0.0:8080/healthz", liveness_url) for arg in container["args"]]
    # The downward API's values, as the Pod would get them.
    pod = {"POD_NAME": f"{name}-0", "POD_NAMESPACE": release.namespace}
    chart_env = {e["name"]: e["value"] if "value" in e else pod[e["name"]] for e in container["env"]}
    assert chart_env["EVERCERT_METRICS_PORT"] == str(container_port(container, "metrics"))
    chart_env["EVERCERT_METRICS_PORT"] = str(listen_port())
    return ChartSettings(kubeconfig, liveness_url, args, chart_env)


def container_port(container: dict[str, Any], name: str) -> int:
    (port,) = [p["containerPort"] for p in container["ports"] if p["name"] == name]
    return int(port)


def start_operator(env: LocalEnvironment, release: Release, name: str) -> ChartOperator:
    """The operator as the release's Deployment would run it (its args and env), as its ServiceAccount."""
    chart = chart_settings(env, release, name)
    process = env.start_operator(name, kubeconfig=chart.kubeconfig, extra_env=chart.env, args=chart.args)
    return ChartOperator(process, chart.liveness_url, env.metrics_url(process), release)


def wait_issuer_ready(env: LocalEnvironment, operator: ChartOperator) -> None:
    wait_for(
        lambda: condition(env, "clusterissuer", None, LOCAL_ISSUER, "Ready") == "True",
        60,
        "ClusterIssuer Ready",
        operator.process,
    )


def audit_events(env: LocalEnvironment, user: str) -> list[dict[str, Any]]:
    """The apiserver's audit records of `user`'s requests (metadata only)."""
    lines = (env.controlplane.workdir / "audit.log").read_text().splitlines()
    return [event for event in map(json.loads, lines) if event.get("user", {}).get("username") == user]


def forbidden_requests(env: LocalEnvironment, release: Release) -> list[str]:
    """Requests RBAC refused (not those refused for other reasons, e.g. a namespace being deleted)."""
    return [
        f"{e['verb']} {e.get('requestURI')}: {e['annotations'].get('authorization.k8s.io/reason', '')}"
        for e in audit_events(env, release.service_account_user)
        if (e.get("annotations") or {}).get("authorization.k8s.io/decision") == "forbid"
    ]


def permission_errors(log_path: Path) -> list[str]:
    """Log lines telling of a request RBAC refused, or of kopf working around missing permissions."""
    markers = ('forbidden: User \\"', 'forbidden: User "', "Not enough permissions")
    return [
        line for line in log_path.read_text(errors="replace").splitlines() if any(m in line for m in markers)
    ]
