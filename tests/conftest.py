"""Shared fixtures: one real local environment per test session, a fresh namespace per test."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from evercert.kube.client import Kube
from evercert_devenv.environment import LocalEnvironment
from evercert_devenv.processes import Server


@pytest.fixture(scope="session")
def env(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[LocalEnvironment]:
    """The control plane, Pebble, Traefik and the solver host, with CRDs applied."""
    with LocalEnvironment(tmp_path_factory.mktemp("env")) as environment:
        up = f"local environment up in {environment.started_in:.1f} s"
        announce(pytestconfig, f"[env] {up}; {environment.routing}")
        yield environment


def announce(pytestconfig: pytest.Config, line: str) -> None:
    """Print past output capture: the test output always tells which routing ran."""
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        print(f"\n{line}")


@pytest.fixture(scope="session")
def operator(env: LocalEnvironment) -> Iterator[Server]:
    """One operator process for the session, with the local Pebble ClusterIssuer ready."""
    process = start_operator_with_issuer(env)
    yield process
    process.stop()


def start_operator_with_issuer(env: LocalEnvironment) -> Server:
    """An operator process, and the ClusterIssuer for the environment's Pebble, Ready."""
    process = env.start_operator("operator")
    env.apply(env.cluster_issuer())
    wait_for(
        lambda: condition(env, "clusterissuer", None, "local-pebble", "Ready") == "True",
        60,
        "ClusterIssuer Ready",
        process,
    )
    return process


@pytest.fixture
async def kube(env: LocalEnvironment) -> AsyncIterator[Kube]:
    """The operator's client, as the admin."""
    from kubernetes_asyncio import client, config  # after evercert's kube/lazy.py

    configuration = client.Configuration()
    await config.load_kube_config(
        str(env.kubeconfig), client_configuration=configuration, persist_config=False
    )
    connected = Kube(client.ApiClient(configuration))
    yield connected
    await connected.close()


@pytest.fixture
def namespace(env: LocalEnvironment) -> Iterator[str]:
    name = f"t-{uuid.uuid4().hex[:8]}"
    env.controlplane.kubectl("create", "namespace", name)
    yield name
    env.controlplane.kubectl("delete", "namespace", name, "--wait=false")


def get(env: LocalEnvironment, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
    args = ["get", kind, name, "-o", "json", "--ignore-not-found"]
    if namespace:
        args += ["-n", namespace]
    out = env.controlplane.kubectl(*args)
    return json.loads(out) if out.strip() else None


def condition(env: LocalEnvironment, kind: str, namespace: str | None, name: str, kind_of: str) -> str | None:
    obj = get(env, kind, namespace, name) or {}
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind_of:
            return str(cond.get("status"))
    return None


def wait_for(check: Callable[[], Any], timeout: float, what: str, process: Server | None = None) -> Any:
    deadline = time.monotonic() + timeout
    delay = 0.1
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(delay)
        delay = min(delay * 1.5, 1.0)
    tail = f"\n--- {process.name} log ---\n{process.log_tail(60)}" if process else ""
    raise AssertionError(f"timed out after {timeout} s waiting for {what}{tail}")
