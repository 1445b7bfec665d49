"""A CA that forgets every account (Pebble restarted: it keeps no state) costs one re-registration."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from evercert_devenv.environment import LOCAL_ISSUER, LocalEnvironment
from evercert_devenv.processes import Server

from ..support.cluster import condition, get, start_operator_with_issuer
from .helpers import assert_valid_tls_secret, certificate, wait_ready


@pytest.fixture(scope="module")
def own_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEnvironment]:
    """Its own environment: restarting Pebble must not pull the accounts from under other tests."""
    with LocalEnvironment(Path(tmp_path_factory.mktemp("forgetful"))) as environment:
        yield environment


@pytest.fixture(scope="module")
def own_operator(own_env: LocalEnvironment) -> Iterator[Server]:
    process = start_operator_with_issuer(own_env)
    yield process
    process.stop()


def account_uri(env: LocalEnvironment) -> str:
    issuer = get(env, "clusterissuer", None, LOCAL_ISSUER) or {}
    return str(((issuer.get("status") or {}).get("acme") or {}).get("uri"))


def test_a_ca_that_forgot_the_account_gets_it_registered_again(
    own_env: LocalEnvironment, own_operator: Server
) -> None:
    env, namespace = own_env, "forgetful"
    env.controlplane.kubectl("create", "namespace", namespace)
    env.apply(certificate(namespace, "before", ["before.example.org"]))
    wait_ready(env, namespace, "before", process=own_operator)
    forgotten = account_uri(env)

    env.pebble.restart()  # every account, order and root is gone
    names = [f"after{i}" for i in range(5)]
    for name in names:
        env.apply(certificate(namespace, name, [f"{name}.example.org"]))
    for name in names:
        wait_ready(env, namespace, name, timeout=60, process=own_operator)
        assert_valid_tls_secret(env, namespace, f"{name}-tls", [f"{name}.example.org"])  # the new root
        cert = get(env, "certificate", namespace, name) or {}
        assert not (cert.get("status") or {}).get("failedIssuanceAttempts"), "an attempt failed first"

    assert account_uri(env) != forgotten
    assert condition(env, "clusterissuer", None, LOCAL_ISSUER, "Ready") == "True"
    events = env.controlplane.kubectl(
        "get",
        "events",
        "-A",
        "--field-selector",
        "involvedObject.kind=ClusterIssuer",
        "-o",
        "jsonpath={.items[*].message}",
    )
    assert events.count("registered the key again") == 1, events  # five Certificates, one registration
