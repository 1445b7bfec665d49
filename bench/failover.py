"""Losing a replica: the leader SIGKILLed mid-issuance, then one of three replicas sharing four shards.

Both run replicas with leader election and the default 15 s Leases (the single operator is stopped
meanwhile and comes back afterwards). One order per Certificate is checked on the Certificates' own
status (every order URL it ever named, from the watch) and on Pebble's count of new orders."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from typing import TYPE_CHECKING

from kubernetes_asyncio import client

from evercert_devenv.environment import CLUSTER_RESOURCE_NAMESPACE
from evercert_devenv.processes import Server
from measure import wait_idle

if TYPE_CHECKING:
    from phases import Bench

SHARDS = 4
REPLICAS = 3


async def holders(api: client.ApiClient, shards: int) -> dict[int, str]:
    """shard -> the replica (POD_NAME) holding its Lease now."""
    leases = await client.CoordinationV1Api(api).list_namespaced_lease(CLUSTER_RESOURCE_NAMESPACE)
    held = {}
    for lease in leases.items:
        holder = lease.spec.holder_identity or ""
        for shard in range(shards):
            if lease.metadata.name == f"evercert-shard-{shard}-of-{shards}" and holder:
                held[shard] = holder.rsplit("-", 1)[0]
    return held


async def wait_held(api: client.ApiClient, shards: int, members: set[str], timeout: float) -> float:
    """Wait until every shard's Lease is held by one of `members`; returns when (monotonic)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        held = await holders(api, shards)
        if len(held) == shards and set(held.values()) <= members:
            return time.monotonic()
        await asyncio.sleep(0.2)
    raise TimeoutError(f"shards not all held by {sorted(members)} after {timeout:.0f} s: {held}")


async def _quiet(bench: Bench, server: Server) -> None:
    assert server.process is not None
    await wait_idle(bench.audit, server.process.pid, time.time(), bench.sizes.quiet_seconds, 300)


def _kill(server: Server) -> None:
    assert server.process is not None
    os.killpg(server.process.pid, signal.SIGKILL)


async def _wait_ordering(bench: Bench, namespace: str, count: int, timeout: float) -> int:
    """Wait until `count` Certificates of the namespace have an order in flight; returns how many do."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ordering = sum(1 for ns, _ in bench.tracker.ordering if ns == namespace)
        if ordering >= count:
            return ordering
        await asyncio.sleep(0.1)
    raise TimeoutError(f"fewer than {count} orders in flight in {namespace} after {timeout:.0f} s")


def _one_order_each(bench: Bench, namespace: str, count: int, orders_before: int) -> dict[str, int]:
    orders = {k: v for k, v in bench.tracker.orders.items() if k[0] == namespace}
    _, orders_after = bench.pebble.counts()
    return {
        "certificates_with_two_orders": sum(1 for urls in orders.values() if len(urls) > 1),
        "extra_orders_at_the_ca": orders_after - orders_before - count,
    }


async def leader(bench: Bench) -> None:
    """The leader SIGKILLed with `failover` issuances under way: kill → first Ready by the standby."""
    count, namespace = bench.sizes.failover, "bench-failover"
    bench.phase("failover")
    bench.cluster.stop_operator()
    first = bench.cluster.start_replica("ha-a", 1)
    await wait_held(bench.api, 1, {"ha-a"}, 60)
    await _quiet(bench, first)
    standby = bench.cluster.start_replica("ha-b", 1)
    await _quiet(bench, standby)
    _, orders_before = bench.pebble.counts()
    names = await bench.apply(namespace, count)
    try:
        # Orders are placed up to the issuance limit; the rest wait for a slot.
        in_flight = await _wait_ordering(bench, namespace, min(count, bench.concurrency), 120)
        ready_at_kill = sum(1 for ns, _ in bench.tracker.ready_at if ns == namespace)
        _kill(first)
        killed = time.monotonic()
        last = await bench.tracker.wait_ready([(namespace, n) for n in names], 300)
        taken = await holders(bench.api, 1)
        await _quiet(bench, standby)
    finally:
        bench.cluster.stop_replicas()
    after = sorted(t for (ns, _), t in bench.tracker.ready_at.items() if ns == namespace and t > killed)
    bench.results.update(
        failover_seconds=round(after[0] - killed, 1) if after else None,
        failover_all_ready_seconds=round(last - killed, 1),
        failover_orders_in_flight_at_kill=in_flight,
        failover_ready_at_kill=ready_at_kill,
        failover_new_leader=taken.get(0),
        **{f"failover_{k}": v for k, v in _one_order_each(bench, namespace, count, orders_before).items()},
    )
    bench.say_results("failover")


async def shards(bench: Bench) -> None:
    """Three replicas share four shards; the one holding most is SIGKILLed while its Certificates issue."""
    count, namespace = bench.sizes.shard_certificates, "bench-shards"
    bench.phase("shards")
    bench.cluster.stop_operator()  # already stopped after the failover step, not when run alone
    names = [f"shard-{r}" for r in range(REPLICAS)]
    replicas = [bench.cluster.start_replica(name, SHARDS) for name in names]
    await wait_held(bench.api, SHARDS, set(names), 120)
    for server in replicas:
        await _quiet(bench, server)
    _, orders_before = bench.pebble.counts()
    keys = [(namespace, n) for n in await bench.apply(namespace, count)]
    try:
        await _wait_ordering(bench, namespace, min(count, 20), 120)
        held = await holders(bench.api, SHARDS)
        victim = max(names, key=list(held.values()).count)
        _kill(bench.cluster.replicas[victim])
        killed = time.monotonic()
        survivors = set(names) - {victim}
        served = await wait_held(bench.api, SHARDS, survivors, 120)
        last = await bench.tracker.wait_ready(keys, 300)
        for name in survivors:  # their looks after the issuances (ARI) end before they stop
            await _quiet(bench, bench.cluster.replicas[name])
    finally:
        bench.cluster.stop_replicas()
        bench.cluster.start_operator()
    bench.results.update(
        shard_failover_seconds=round(served - killed, 1),
        shard_failover_all_ready_seconds=round(last - killed, 1),
        shard_failover_victim_shards=list(held.values()).count(victim),
        shard_failover_certificates=len(bench.tracker.revisions),
        **{
            f"shard_failover_{k}": v
            for k, v in _one_order_each(bench, namespace, count, orders_before).items()
        },
    )
    bench.say_results("shard_failover")
