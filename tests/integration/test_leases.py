"""Leader election and shards against the real kube-apiserver: several electors in this process.

Short Leases (4 s, renew deadline 3 s, retry 0.5 s) keep the waits for expiry to a few seconds.
Every 20 ms, and at every gain, the fleet checks that no shard is believed held by two members.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest

from evercert.core.clock import SystemClock
from evercert.kube.client import Kube
from evercert.leadership import Elector, KubeLeases, Timing, new_identity
from evercert.leadership.shards import shard_lease_name

from ..support.waiting import eventually

pytestmark = pytest.mark.integration

TIMING = Timing(lease_duration=4, renew_deadline=3, retry_period=0.5)
Held = dict[str, frozenset[int]]


class Fleet:
    """Electors sharing `count` shard Leases in one namespace, watched for double holders."""

    def __init__(self, kube: Kube, namespace: str, count: int) -> None:
        self.kube, self.namespace, self.count = kube, namespace, count
        self.members: dict[str, Elector] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.violations: list[str] = []
        self.gained_at: dict[str, float] = {}

    def start(self, name: str) -> Elector:
        elector = Elector(
            KubeLeases(self.kube, self.namespace, timeout=TIMING.renew_deadline),
            new_identity(name),
            SystemClock(),
            count=self.count,
            timing=TIMING,
            on_gained=lambda _shards: self._gained(name),
        )
        self.members[name] = elector
        self.tasks[name] = asyncio.create_task(elector.run())
        return elector

    def _gained(self, name: str) -> None:
        self.gained_at[name] = time.monotonic()
        self.check()

    def check(self) -> Held:
        held = {name: member.held for name, member in self.members.items()}
        for shard in range(self.count):
            holders = sorted(name for name, shards in held.items() if shard in shards)
            if len(holders) > 1:
                self.violations.append(f"shard {shard} held by {holders}")
        return held

    def freeze(self, name: str) -> None:
        """The member stops dead (a frozen or killed process): no renewal, no release."""
        self.tasks[name].cancel()

    async def release(self, name: str) -> None:
        """SIGTERM: stop the loop, then free the Leases."""
        self.tasks[name].cancel()
        await asyncio.gather(self.tasks[name], return_exceptions=True)
        await self.members[name].release()

    async def until(self, done: Callable[[Held], bool], timeout: float, what: str) -> None:
        await eventually(lambda: done(self.check()), timeout, what, every=0.02)

    async def holders_in_the_api(self) -> dict[int, str]:
        leases = await KubeLeases(self.kube, self.namespace).list()
        names = {shard_lease_name(s, self.count): s for s in range(self.count)}
        return {names[lease.name]: lease.spec.holder for lease in leases if lease.name in names}

    def stop(self) -> None:
        for task in self.tasks.values():
            task.cancel()


@pytest.fixture
async def fleet_of(kube: Kube, namespace: str) -> AsyncIterator[Callable[[int], Fleet]]:
    fleets: list[Fleet] = []

    def make(count: int) -> Fleet:
        fleets.append(Fleet(kube, namespace, count))
        return fleets[-1]

    yield make
    for fleet in fleets:
        fleet.stop()
        assert fleet.violations == []


def leader(held: Held) -> str | None:
    leaders = [name for name, shards in held.items() if shards]
    return leaders[0] if len(leaders) == 1 else None


async def test_of_two_members_exactly_one_leads_and_keeps_leading(fleet_of: Callable[[int], Fleet]) -> None:
    fleet = fleet_of(1)
    fleet.start("a"), fleet.start("b")
    await fleet.until(lambda held: leader(held) is not None, 10, "a leader")
    first = leader(fleet.check())
    assert first is not None
    renewals: set[object] = set()
    lease_name = shard_lease_name(0, 1)

    async def renewed_often() -> bool:
        (lease,) = [x for x in await KubeLeases(fleet.kube, fleet.namespace).list() if x.name == lease_name]
        assert lease.spec.holder == fleet.members[first].identity
        renewals.add(lease.spec.renew_time)
        assert leader(fleet.check()) == first
        return len(renewals) >= 6

    # The leader renewed several times: the standby had as many looks.
    await eventually(renewed_often, 60, "six renewals by the leader", every=TIMING.retry_period / 2)
    assert fleet.violations == []


async def test_a_frozen_leaders_lease_expires_and_the_standby_takes_over(
    fleet_of: Callable[[int], Fleet],
) -> None:
    fleet = fleet_of(1)
    fleet.start("a"), fleet.start("b")
    await fleet.until(lambda held: leader(held) is not None, 10, "a leader")
    first = leader(fleet.check())
    second = "b" if first == "a" else "a"
    frozen_at = time.monotonic()
    fleet.freeze(str(first))
    await fleet.until(lambda held: leader(held) == second, TIMING.lease_duration + 5, "the standby to lead")
    waited = fleet.gained_at[second] - frozen_at
    # Not before the Lease expired (a full duration after the last renewal was seen), and soon after.
    assert TIMING.lease_duration - TIMING.retry_period <= waited <= TIMING.lease_duration + 3
    assert (await fleet.holders_in_the_api())[0] == fleet.members[second].identity


async def test_a_released_lease_is_taken_over_at_once(fleet_of: Callable[[int], Fleet]) -> None:
    fleet = fleet_of(1)
    fleet.start("a"), fleet.start("b")
    await fleet.until(lambda held: leader(held) is not None, 10, "a leader")
    first = str(leader(fleet.check()))
    second = "b" if first == "a" else "a"
    released_at = time.monotonic()
    await fleet.release(first)
    assert fleet.members[first].held == frozenset()
    await fleet.until(lambda held: leader(held) == second, TIMING.lease_duration, "the standby to lead")
    # On the standby's next look, well before the Lease could have expired.
    assert fleet.gained_at[second] - released_at < TIMING.lease_duration - TIMING.retry_period
    (lease,) = [
        x for x in await KubeLeases(fleet.kube, fleet.namespace).list() if x.name == shard_lease_name(0, 1)
    ]
    assert lease.spec.holder == fleet.members[second].identity and lease.spec.transitions == 1


async def test_four_shards_over_three_members_and_a_frozen_members_shards_are_taken_over(
    fleet_of: Callable[[int], Fleet],
) -> None:
    fleet = fleet_of(4)
    for name in "abc":
        fleet.start(name)

    def fair(names: str, shares: list[int]) -> Callable[[Held], bool]:
        def done(held: Held) -> bool:
            ours = [held[name] for name in names]
            return sorted(map(len, ours)) == shares and set().union(*ours) == {0, 1, 2, 3}

        return done

    await fleet.until(fair("abc", [1, 1, 2]), 20, "shares of 2/1/1")
    held = fleet.check()
    in_api = await fleet.holders_in_the_api()
    assert {s: fleet.members[n].identity for n, shards in held.items() for s in shards} == in_api
    dead = max(held, key=lambda name: len(held[name]))
    fleet.freeze(dead)
    survivors = "".join(name for name in "abc" if name != dead)
    await fleet.until(fair(survivors, [2, 2]), TIMING.lease_duration + 10, "the survivors to share 2/2")
    assert fleet.members[dead].held == frozenset()
    in_api = await fleet.holders_in_the_api()
    assert sorted(in_api.values()).count(fleet.members[survivors[0]].identity) == 2
    assert fleet.violations == []
