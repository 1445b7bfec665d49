"""The elector over an in-memory Lease store and a manual clock (the real apiserver: tests/integration)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime

from evercert.leadership import Elector, Timing, shard_of
from evercert.leadership.policy import parse_lease
from evercert.leadership.shards import member_lease_name, shard_lease_name
from tests.support.clock import ManualClock
from tests.support.leases import Flaky, MemoryLeases


class Fleet:
    """Members sharing one store and one clock; every check looks for a shard held by two."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.store = MemoryLeases()
        self.clock = ManualClock()
        self.members: dict[str, Elector] = {}
        self.views: dict[str, Flaky] = {}
        self.events: list[tuple[str, str, frozenset[int]]] = []

    def join(self, name: str) -> Elector:
        self.views[name] = Flaky(self.store)
        self.members[name] = Elector(
            self.views[name],
            name,
            self.clock,
            count=self.count,
            on_gained=lambda shards: self.events.append((name, "gained", shards)),
            on_lost=lambda shards: self.events.append((name, "lost", shards)),
        )
        return self.members[name]

    def check(self) -> dict[str, frozenset[int]]:
        held = {name: member.held for name, member in self.members.items()}
        for shard in range(self.count):
            holders = [name for name, shards in held.items() if shard in shards]
            assert len(holders) <= 1, f"shard {shard} held by {holders} at {self.clock.now()}"
        return held

    async def rounds(self, n: int, seconds: float = 2.0) -> dict[str, frozenset[int]]:
        """`n` rounds of every member, the clock moving `seconds` after each (a cut-off member's fail)."""
        for _ in range(n):
            for member in self.members.values():
                with contextlib.suppress(ConnectionError):
                    await member.step()
                self.check()
            self.clock.advance(seconds)
        return self.check()


async def test_one_of_two_members_leads_and_the_other_waits() -> None:
    fleet = Fleet(1)
    fleet.join("a"), fleet.join("b")
    held = await fleet.rounds(10)
    assert held == {"a": {0}, "b": frozenset()}
    assert fleet.store.holder("evercert-shard-0-of-1") == "a"
    assert fleet.events == [("a", "gained", {0})]


async def test_a_leader_cut_off_from_the_api_stops_before_the_standby_may_take_over() -> None:
    fleet = Fleet(1)
    a, b = fleet.join("a"), fleet.join("b")
    await fleet.rounds(2)
    renewed = parse_lease(fleet.store.objects["evercert-shard-0-of-1"]).spec.renew_time
    fleet.views["a"].broken = True
    stopped = taken = None
    for _ in range(200):  # 20 s in steps of 0.1 s, every member checked at each
        await fleet.rounds(1, seconds=0.1)
        stopped = stopped or (not a.holds(0) and fleet.clock.now())
        taken = taken or (b.holds(0) and fleet.clock.now())
    assert renewed is not None and stopped and taken
    timing = Timing()
    assert stopped - renewed <= datetime.timedelta(seconds=timing.renew_deadline + 0.1)
    assert taken - renewed >= datetime.timedelta(seconds=timing.lease_duration)


async def test_a_released_lease_is_taken_by_the_standby_on_its_next_look() -> None:
    fleet = Fleet(1)
    a, b = fleet.join("a"), fleet.join("b")
    await fleet.rounds(2)
    await a.release()
    assert a.held == frozenset() and ("a", "lost", {0}) in fleet.events
    assert member_lease_name("a") not in fleet.store.objects
    await b.step()  # the clock has not moved
    assert b.holds(0)


async def test_four_shards_over_three_members_and_a_dead_members_shards_are_taken_over() -> None:
    fleet = Fleet(4)
    for name in "abc":
        fleet.join(name)
    held = await fleet.rounds(6)
    assert sorted(len(shards) for shards in held.values()) == [1, 1, 2]
    assert set().union(*held.values()) == {0, 1, 2, 3}
    dead = max(held, key=lambda name: len(held[name]))
    fleet.views[dead].broken = True
    held = await fleet.rounds(35, seconds=1.0)
    survivors = [name for name in "abc" if name != dead]
    assert sorted(len(held[name]) for name in survivors) == [2, 2]
    assert held[dead] == frozenset()
    # Its member Lease, expired for a further lease duration, is swept.
    assert member_lease_name(dead) not in fleet.store.objects


async def test_a_joining_member_gets_its_share_from_a_member_over_its_own() -> None:
    fleet = Fleet(4)
    fleet.join("a")
    assert await fleet.rounds(2) == {"a": {0, 1, 2, 3}}
    fleet.join("b")
    held = await fleet.rounds(4)
    assert len(held["a"]) == len(held["b"]) == 2
    given_up = [shards for name, event, shards in fleet.events if (name, event) == ("a", "lost")]
    assert set().union(*given_up) == held["b"]


async def test_a_shard_given_up_is_written_free_only_once_the_work_on_it_has_ended() -> None:
    store, clock = MemoryLeases(), ManualClock()
    work_ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    a = Elector(store, "a", clock, count=2, on_lost=lambda _shards: work_ended)
    b = Elector(store, "b", clock, count=2)
    await a.step()
    await b.step()  # b is counted now: a's share drops to one shard
    giving_up = asyncio.ensure_future(a.step())
    while len(a.held) == 2:
        await asyncio.sleep(0)
    [released] = {0, 1} - a.held
    for _ in range(5):
        await asyncio.sleep(0)
    assert not giving_up.done() and store.holder(shard_lease_name(released, 2)) == "a"
    work_ended.set_result(None)
    await giving_up
    assert store.holder(shard_lease_name(released, 2)) == ""
    await b.step()
    assert b.holds(released)


async def test_a_request_that_hangs_loses_the_shards_at_the_renew_deadline() -> None:
    store, clock, lost = Flaky(MemoryLeases()), ManualClock(), asyncio.Event()

    async def sleep(seconds: float) -> None:
        await asyncio.sleep(0)
        clock.advance(seconds)

    elector = Elector(store, "a", clock, on_lost=lambda _shards: lost.set(), sleep=sleep)
    task = asyncio.create_task(elector.run())
    try:
        while not elector.holds(0):
            await asyncio.sleep(0)
        store.freeze()
        renewed = parse_lease(store.store.objects[shard_lease_name(0, 1)]).spec.renew_time
        await asyncio.wait_for(lost.wait(), timeout=10)  # a guard only: the manual clock decides
        assert renewed is not None
        assert clock.now() - renewed <= datetime.timedelta(seconds=Timing().renew_deadline)
    finally:
        task.cancel()


async def test_an_object_is_served_by_the_holder_of_its_shard() -> None:
    fleet = Fleet(2)
    a, b = fleet.join("a"), fleet.join("b")
    await fleet.rounds(4)
    names = [f"cert-{i}" for i in range(20)]
    for name in names:
        assert a.serves("shop", name) != b.serves("shop", name)
        assert a.serves("shop", name) == a.holds(shard_of("shop", name, 2))
