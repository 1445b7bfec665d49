"""Shared fixtures: one real local environment per test session, a fresh namespace per test.

Helpers live in tests/support/ (cluster.py, waiting.py): tests import them from there."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from evercert.kube.client import Kube
from evercert_devenv.environment import LocalEnvironment
from evercert_devenv.processes import Server

from .support.cluster import announce, start_operator_with_issuer


@pytest.fixture(scope="session")
def env(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[LocalEnvironment]:
    """The control plane, Pebble, Traefik and the solver host, with CRDs applied."""
    with LocalEnvironment(tmp_path_factory.mktemp("env")) as environment:
        up = f"local environment up in {environment.started_in:.1f} s"
        announce(pytestconfig, f"[env] {up}; {environment.routing}")
        yield environment


@pytest.fixture(scope="session")
def operator(env: LocalEnvironment) -> Iterator[Server]:
    """One operator process for the session, with the local Pebble ClusterIssuer ready."""
    process = start_operator_with_issuer(env)
    yield process
    process.stop()


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
