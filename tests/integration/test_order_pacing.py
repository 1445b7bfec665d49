"""Order pacing against a CA that enforces an order quota: the proxy in front of Pebble refuses a new
order with 429 rateLimited once 30 were made in the last 20 s; the Issuer says so in orderRateLimit."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from evercert_devenv.environment import LocalEnvironment
from evercert_devenv.processes import Server

from ..support.cluster import condition
from ..support.waiting import wait_for
from .caproxy import CaProxy
from .helpers import certificate
from .watching import Watch

ORDERS, SECONDS = 30, 20
CERTIFICATES = 100


@pytest.fixture
def quota_proxy(env: LocalEnvironment, operator: Server) -> Iterator[CaProxy]:
    server = CaProxy(env.pebble, env.pebble.ca, order_quota=(ORDERS, SECONDS))
    yield server
    server.stop()


def ready_count(env: LocalEnvironment, namespace: str) -> int:
    listed = json.loads(env.controlplane.kubectl("get", "certificates", "-n", namespace, "-o", "json"))
    return sum(
        1
        for item in listed["items"]
        for c in (item.get("status") or {}).get("conditions") or []
        if c["type"] == "Ready" and c["status"] == "True"
    )


def waited_for_quota(versions: list[dict[str, Any]]) -> set[str]:
    """Certificates that said, in some version, that they waited for the order quota."""
    return {
        v["metadata"]["name"]
        for v in versions
        for c in (v.get("status") or {}).get("conditions") or []
        if c["type"] == "Ready" and c["reason"] == "WaitingForOrderQuota"
    }


def test_many_certificates_at_once_never_exceed_the_order_quota(
    env: LocalEnvironment, quota_proxy: CaProxy, namespace: str
) -> None:
    issuer = quota_proxy.issuer("paced", namespace)
    issuer["spec"]["acme"]["orderRateLimit"] = {"orders": ORDERS, "per": f"{SECONDS}s"}
    env.apply(issuer)
    wait_for(lambda: condition(env, "issuer", namespace, "paced", "Ready") == "True", 30, "Issuer Ready")
    manifests = [
        certificate(namespace, f"site-{n}", [f"site-{n}.example.org"], issuer="paced", kind="Issuer")
        for n in range(CERTIFICATES)
    ]
    with Watch(env, "certificates", namespace) as certificates:
        began = time.monotonic()
        env.apply({"apiVersion": "v1", "kind": "List", "items": manifests})
        wait_for(
            lambda: ready_count(env, namespace) == CERTIFICATES, 300, f"{CERTIFICATES} Certificates Ready"
        )
        took = time.monotonic() - began
    refused = [s for s in quota_proxy.requests() if s.problem == "rateLimited"]
    assert refused == [], f"{len(refused)} rateLimited answers"
    made = sorted(quota_proxy.orders_made)
    assert len(made) == CERTIFICATES
    assert max(sum(1 for t in made if start <= t < start + SECONDS) for start in made) <= ORDERS
    # 100 orders at 30 per 20 s: the last 10 cannot be made before three spans have passed
    assert took >= 3 * SECONDS, took
    assert len(waited_for_quota(certificates.versions)) >= CERTIFICATES - ORDERS
