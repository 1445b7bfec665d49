"""Connections to the apiserver that go silent (no answer, no close) stall neither watches nor requests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from evercert_devenv.environment import LocalEnvironment
from evercert_devenv.processes import Server

from ..support.waiting import wait_for
from .blackhole import BlackholeProxy
from .helpers import assert_valid_tls_secret, certificate, wait_ready

API_TIMEOUT_SECONDS = 3
WATCH_INACTIVITY_SECONDS = 6


@pytest.fixture
def proxied_operator(
    env: LocalEnvironment, operator: Server, tmp_path: Path
) -> Iterator[tuple[Server, BlackholeProxy]]:
    """The session's operator is paused; this one reaches the apiserver only through the proxy."""
    port = int(env.controlplane.url.rsplit(":", 1)[1])
    proxy = BlackholeProxy(port)
    admin = env.controlplane.kubeconfig.read_text()
    kubeconfig = tmp_path / "proxied.kubeconfig"
    kubeconfig.write_text(admin.replace(env.controlplane.url, f"https://127.0.0.1:{proxy.port}"))
    operator.stop()
    proxied = env.start_operator(
        "proxied",
        kubeconfig,
        {
            "EVERCERT_API_TIMEOUT_SECONDS": str(API_TIMEOUT_SECONDS),
            "EVERCERT_WATCH_INACTIVITY_SECONDS": str(WATCH_INACTIVITY_SECONDS),
        },
    )
    try:
        yield proxied, proxy
    finally:
        proxied.stop()
        proxy.stop()
        operator.start()


def test_silent_connections_are_dropped_and_work_goes_on(
    env: LocalEnvironment, proxied_operator: tuple[Server, BlackholeProxy], namespace: str
) -> None:
    operator, proxy = proxied_operator
    env.apply(certificate(namespace, "before", ["before.example.org"]))
    wait_ready(env, namespace, "before", process=operator)
    # Now every watch and every pooled connection of the operator goes silent at once.
    assert proxy.silence_open_connections() >= 3
    env.apply(certificate(namespace, "after", ["after.example.org"]))
    # Seen once the Certificate watch is found silent and restarted; issued once the requests
    # on silent pooled connections time out and are retried on new ones.
    wait_ready(env, namespace, "after", timeout=60, process=operator)
    assert_valid_tls_secret(env, namespace, "after-tls", ["after.example.org"])
    wait_for(lambda: proxy.swallowed > 0, 5, "a request sent into a silent connection", operator)
