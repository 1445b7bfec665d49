"""Several operator replicas against one apiserver: Leases decide who works on what.

Leases last 4 s here (EVERCERT_LEASE_DURATION_SECONDS) instead of 15 s, so a takeover after a
SIGKILL takes seconds; every Certificate must still get exactly one order and one key, counted on
the Certificates' status and, through a proxy in front of Pebble, at the CA itself."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator

import pytest

from evercert_devenv.environment import CLUSTER_RESOURCE_NAMESPACE, LocalEnvironment
from evercert_devenv.processes import Server

from ..support.cluster import condition, get
from ..support.waiting import holds, wait_for
from .caproxy import NEW_ORDER_PATH, CaProxy
from .helpers import assert_valid_tls_secret, certificate, event_reasons, wait_ready
from .watching import Watch, mismatched_versions, order_urls, private_keys

LEASE_SECONDS = 4


@pytest.fixture(scope="module")
def session_operator_stopped(operator: Server) -> Iterator[None]:
    """These tests run replicas of their own; the session's operator must not act meanwhile."""
    operator.stop()
    yield
    operator.start()


@pytest.fixture
def ca_proxy(env: LocalEnvironment) -> Iterator[CaProxy]:
    """Pebble behind a proxy that counts the orders the CA made (answered 201)."""
    server = CaProxy(env.pebble, env.pebble.ca)
    yield server
    server.stop()


def replica(env: LocalEnvironment, name: str, shards: int = 1, **extra: str) -> Server:
    settings = {
        "EVERCERT_LEADER_ELECTION": "true",
        "EVERCERT_SHARDS": str(shards),
        "EVERCERT_LEASE_DURATION_SECONDS": str(LEASE_SECONDS),
        "POD_NAME": name,
        **extra,
    }
    return env.start_operator(name, extra_env=settings)


def holders(env: LocalEnvironment, shards: int) -> dict[int, str]:
    """shard -> the replica (POD_NAME) its Lease names as holder, for Leases that are held."""
    out = env.controlplane.kubectl("get", "leases", "-n", CLUSTER_RESOURCE_NAMESPACE, "-o", "json")
    held = {}
    for lease in json.loads(out)["items"]:
        name, holder = lease["metadata"]["name"], (lease.get("spec") or {}).get("holderIdentity") or ""
        for shard in range(shards):
            if name == f"evercert-shard-{shard}-of-{shards}" and holder:
                held[shard] = holder.rsplit("-", 1)[0]
    return held


def held_only_by(env: LocalEnvironment, shards: int, members: set[str]) -> bool:
    held = holders(env, shards)
    return len(held) == shards and set(held.values()) <= members


def test_only_the_leader_issues_a_standby_finishes_after_a_crash_and_sigterm_hands_over_fast(
    env: LocalEnvironment, session_operator_stopped: None, namespace: str
) -> None:
    with Watch(env, "secrets", namespace) as secrets, Watch(env, "certificates", namespace) as certificates:
        leader = replica(env, "ha-a", EVERCERT_TEST_CRASH_AT="challenge-answered")
        wait_for(lambda: holders(env, 1).get(0) == "ha-a", 30, "ha-a to lead", leader)
        standby = replica(env, "ha-b")
        successor: Server | None = None
        try:
            env.apply(certificate(namespace, "web", ["web.example.org", "www.web.example.org"]))
            wait_for(lambda: not leader.running(), 60, "the leader to crash mid-issuance", leader)
            assert leader.process is not None and leader.process.returncode == -signal.SIGKILL
            crashed_at = time.monotonic()
            wait_ready(env, namespace, "web", process=standby)
            print(f"\nkill -> Ready by the standby: {time.monotonic() - crashed_at:.1f} s")
            assert holders(env, 1).get(0) == "ha-b"

            successor = replica(env, "ha-c")
            wait_for(lambda: successor.running(), 10, "ha-c started")
            # ha-c has started its watches; it must wait for the Lease, not take it.
            holds(lambda: holders(env, 1).get(0) == "ha-b", 1, "ha-b keeps the Lease")
            standby.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
            began = time.monotonic()
            wait_for(lambda: holders(env, 1).get(0) == "ha-c", LEASE_SECONDS * 3, "ha-c to lead", successor)
            handover = time.monotonic() - began
            print(f"SIGTERM -> the next replica leads: {handover:.1f} s")
            assert handover < LEASE_SECONDS, "SIGTERM must release the Lease, not leave it to expire"
        finally:
            for process in (leader, standby, successor):
                if process is not None:
                    process.stop()
    assert_valid_tls_secret(env, namespace, "web-tls", ["web.example.org", "www.web.example.org"])
    assert not mismatched_versions(secrets.versions)
    assert len(private_keys(secrets.versions, "web")) == 1, "the standby made a second key"
    assert len(order_urls(certificates.versions)) == 1, "the standby placed a second order"
    cert = get(env, "certificate", namespace, "web")
    assert cert is not None and cert["status"]["revision"] == 1
    assert event_reasons(env, namespace, "web").count("Issued") == 1


def test_four_shards_over_three_replicas_each_certificate_once_and_a_dead_replicas_shards_move(
    env: LocalEnvironment, session_operator_stopped: None, namespace: str, ca_proxy: CaProxy
) -> None:
    shards = 4
    names = [f"c{i}" for i in range(12)]
    with Watch(env, "certificates", namespace) as certificates:
        replicas = [replica(env, f"shard-{r}", shards) for r in range(3)]
        try:
            wait_for(lambda: len(holders(env, shards)) == shards, 30, "all shards held", replicas[0])
            wait_for(
                lambda: (
                    sorted(list(holders(env, shards).values()).count(f"shard-{r}") for r in range(3))
                    == [1, 1, 2]
                ),
                30,
                "a fair share each (2/1/1)",
            )
            env.apply(ca_proxy.issuer("sharded", namespace))
            wait_for(lambda: condition(env, "issuer", namespace, "sharded", "Ready") == "True", 30, "Issuer")
            for name in names[:8]:
                env.apply(sharded_certificate(namespace, name))
            for name in names[:8]:
                wait_ready(env, namespace, name)
            victim = next(r for r in range(3) if list(holders(env, shards).values()).count(f"shard-{r}"))
            replicas[victim].process.send_signal(signal.SIGKILL)  # type: ignore[union-attr]
            killed_at = time.monotonic()
            survivors = {f"shard-{r}" for r in range(3) if r != victim}
            wait_for(
                lambda: (
                    len(holders(env, shards)) == shards and set(holders(env, shards).values()) <= survivors
                ),
                LEASE_SECONDS * 5,
                "the survivors to hold every shard",
            )
            print(f"\nSIGKILL -> its shards served again: {time.monotonic() - killed_at:.1f} s")
            for name in names[8:]:
                env.apply(sharded_certificate(namespace, name))
            for name in names:
                wait_ready(env, namespace, name)
        finally:
            for process in replicas:
                process.stop()
    for name in names:
        versions = [c for c in certificates.versions if c["metadata"]["name"] == name]
        assert len(order_urls(versions)) == 1, f"{name}: more than one order"
        cert = get(env, "certificate", namespace, name)
        assert cert is not None and cert["status"]["revision"] == 1, name
    # An order the CA made but no status named (placed, then lost) shows only here.
    made = [s for s in ca_proxy.requests() if s.path == NEW_ORDER_PATH and s.status == 201]
    assert len(made) == len(names), "the CA made orders beyond one per Certificate"


def sharded_certificate(namespace: str, name: str) -> dict[str, object]:
    return certificate(namespace, name, [f"{name}.example.org"], issuer="sharded", kind="Issuer")
