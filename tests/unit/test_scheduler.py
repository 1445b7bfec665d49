"""The scheduler runs each key when due, on a bounded pool, never one key twice at once (scheduling/).

The event loop's time is faked by looptime: it jumps forward whenever every task waits, so these
tests cover hours of schedule in milliseconds, and the times they assert are exact."""

from __future__ import annotations

import asyncio
import datetime
import itertools
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from evercert.logs import JsonFormatter
from evercert.scheduling import Scheduler, retry_delay
from tests.support.loop_clock import LoopClock

pytestmark = pytest.mark.looptime

Key = tuple[str, str]
A: Key = ("default", "a")
B: Key = ("default", "b")
C: Key = ("default", "c")


class Recorder:
    """A work function that takes `seconds` per look, records when each look began, and any overlap."""

    def __init__(
        self,
        clock: LoopClock,
        seconds: float = 0.0,
        then: Callable[[Key], datetime.datetime | None] = lambda key: None,
    ) -> None:
        self.clock = clock
        self.seconds = seconds
        self.then = then
        self.calls: list[tuple[Key, float]] = []
        self.active: set[Key] = set()
        self.overlaps = 0
        self.peak = 0

    async def __call__(self, key: Key) -> datetime.datetime | None:
        if key in self.active:
            self.overlaps += 1
        self.active.add(key)
        self.peak = max(self.peak, len(self.active))
        self.calls.append((key, self.clock.elapsed()))
        try:
            await asyncio.sleep(self.seconds)
        finally:
            self.active.discard(key)
        return self.then(key)

    def times(self, key: Key) -> list[float]:
        return [round(at, 6) for called, at in self.calls if called == key]


@asynccontextmanager
async def running(scheduler: Scheduler[Key]) -> AsyncIterator[Scheduler[Key]]:
    scheduler.start()
    try:
        yield scheduler
    finally:
        await scheduler.stop()


async def test_looks_at_a_key_when_it_falls_due_and_not_before() -> None:
    clock = LoopClock()
    work = Recorder(clock)
    scheduler = Scheduler(work, clock, workers=4)
    scheduler.schedule(A, clock.at(60))
    async with running(scheduler):
        await asyncio.sleep(59)
        assert work.calls == []
        await asyncio.sleep(2)
    assert work.times(A) == [60]


async def test_the_time_the_work_returns_is_the_next_look() -> None:
    clock = LoopClock()
    work = Recorder(
        clock, then=lambda key: clock.now() + datetime.timedelta(hours=1) if len(work.calls) < 3 else None
    )
    scheduler = Scheduler(work, clock, workers=4)
    scheduler.changed(A)
    async with running(scheduler):
        await asyncio.sleep(10 * 3600)
    assert work.times(A) == [0, 3600, 7200]  # then None: no look until the next change


async def test_a_key_is_never_worked_on_twice_at_once() -> None:
    clock = LoopClock()
    work = Recorder(clock, seconds=10)
    scheduler = Scheduler(work, clock, workers=8)
    async with running(scheduler):
        for _ in range(5):
            scheduler.changed(A)
            await asyncio.sleep(3)
        await asyncio.sleep(60)
    assert work.overlaps == 0
    assert work.peak == 1  # eight free workers, yet one key is looked at by one of them at a time


async def test_changes_during_work_bring_one_more_look_right_after_it() -> None:
    clock = LoopClock()
    work = Recorder(clock, seconds=10)
    scheduler = Scheduler(work, clock, workers=4)
    async with running(scheduler):
        scheduler.changed(A)
        await asyncio.sleep(2)
        scheduler.changed(A)
        await asyncio.sleep(2)
        scheduler.changed(A)
        await asyncio.sleep(600)
    assert work.times(A) == [0, 10]  # not twice more, not never


async def test_no_more_keys_are_worked_on_at_once_than_there_are_workers() -> None:
    clock = LoopClock()
    work = Recorder(clock, seconds=10)
    scheduler = Scheduler(work, clock, workers=4)
    for i in range(20):
        scheduler.changed(("default", f"c{i}"))
    async with running(scheduler):
        await asyncio.sleep(1)
        assert (scheduler.in_flight, scheduler.depth) == (4, 16)
        await asyncio.sleep(100)
    assert work.peak == 4
    assert len(work.calls) == 20
    assert max(at for _, at in work.calls) == 40  # five rounds of four, back to back


async def test_due_keys_are_served_in_due_order() -> None:
    clock = LoopClock()
    work = Recorder(clock, seconds=1)
    scheduler = Scheduler(work, clock, workers=1)
    scheduler.schedule(C, clock.at(3))
    scheduler.schedule(A, clock.at(1))
    scheduler.schedule(B, clock.at(2))
    async with running(scheduler):
        await asyncio.sleep(0.5)
        scheduler.changed(("default", "blocker"))  # holds the one worker while the others fall due
        scheduler.schedule(("default", "blocker"), clock.at(100))
        await asyncio.sleep(60)
    assert [key for key, _ in work.calls] == [("default", "blocker"), A, B, C]


async def test_a_forgotten_key_is_not_looked_at() -> None:
    clock = LoopClock()
    work = Recorder(clock)
    scheduler = Scheduler(work, clock, workers=4)
    scheduler.schedule(A, clock.at(60))
    scheduler.schedule(B, clock.at(60))
    async with running(scheduler):
        await asyncio.sleep(30)
        scheduler.forget(A)
        await asyncio.sleep(600)
    assert [key for key, _ in work.calls] == [B]


async def test_a_key_forgotten_during_work_is_not_looked_at_again() -> None:
    clock = LoopClock()
    work = Recorder(clock, seconds=10, then=lambda key: clock.now())
    scheduler = Scheduler(work, clock, workers=4)
    scheduler.changed(A)
    async with running(scheduler):
        await asyncio.sleep(5)
        scheduler.changed(A)
        scheduler.forget(A)
        await asyncio.sleep(600)
    assert work.times(A) == [0]
    assert (scheduler.in_flight, scheduler.depth) == (0, 0)


async def test_a_newly_scheduled_earlier_key_wakes_the_scheduler_at_once() -> None:
    clock = LoopClock()
    work = Recorder(clock)
    scheduler = Scheduler(work, clock, workers=4)
    scheduler.schedule(A, clock.at(3600))
    async with running(scheduler):
        await asyncio.sleep(10)
        scheduler.changed(B)
        scheduler.schedule(C, clock.at(25))
        await asyncio.sleep(3600)
    assert work.times(B) == [10]
    assert work.times(C) == [25]
    assert work.times(A) == [3600]


async def test_a_failing_key_is_retried_after_a_growing_bounded_wait_and_does_not_spin() -> None:
    clock = LoopClock()
    calls: list[float] = []
    spinning = asyncio.Event()

    async def failing(key: Key) -> datetime.datetime | None:
        calls.append(round(clock.elapsed(), 6))
        if len(calls) > 50:
            spinning.set()
        raise RuntimeError("the API said no")

    first, longest = datetime.timedelta(seconds=1), datetime.timedelta(seconds=60)
    scheduler = Scheduler(failing, clock, workers=4, first_retry=first, longest_retry=longest)
    scheduler.changed(A)
    async with running(scheduler):
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(spinning.wait(), timeout=300)
    waits = [later - earlier for earlier, later in itertools.pairwise(calls)]
    assert waits[:8] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert set(waits[6:]) == {60}
    assert [retry_delay(n, first, longest).total_seconds() for n in (1, 2, 7, 1000)] == [1, 2, 60, 60]


async def test_a_change_to_a_failing_key_is_looked_at_now_and_success_resets_the_backoff() -> None:
    clock = LoopClock()
    failures_left = [3]

    async def flaky(key: Key) -> datetime.datetime | None:
        work.calls.append((key, clock.elapsed()))
        if failures_left[0]:
            failures_left[0] -= 1
            raise RuntimeError("not yet")
        return None

    work = Recorder(clock)
    scheduler = Scheduler(flaky, clock, workers=4)
    scheduler.changed(A)
    async with running(scheduler):
        await asyncio.sleep(2.5)  # failed at 0 and 1; the next try was due at 3, the change comes first
        scheduler.changed(A)
        await asyncio.sleep(60)
        failures_left[0] = 1
        scheduler.changed(A)
        await asyncio.sleep(60)
    # The third failure (at 2.5) still counts as the third: 4 s. After the success at 6.5 the count
    # starts again: the failure at 62.5 is retried after 1 s.
    assert work.times(A) == [0, 1, 2.5, 6.5, 62.5, 63.5]


async def test_a_failure_is_logged_with_the_key_and_never_with_key_material(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = LoopClock()
    pem = "-----BEGIN PRIVATE KEY-----\nMIIsecret\n-----END PRIVATE KEY-----"

    failed: list[Key] = []

    async def failing_once(key: Key) -> datetime.datetime | None:
        if not failed:
            failed.append(key)
            raise RuntimeError(f"cannot use {pem}")
        return None

    scheduler = Scheduler(failing_once, clock, workers=1)
    scheduler.changed(A)
    with caplog.at_level(logging.ERROR, logger="evercert.scheduling"):
        async with running(scheduler):
            await asyncio.sleep(5)
    [record] = caplog.records
    entry = json.loads(JsonFormatter().format(record))
    assert (entry["key"], entry["failures"], entry["retry_seconds"]) == (str(A), 1, 1.0)
    assert "RuntimeError" in entry["error"]
    assert "MIIsecret" not in json.dumps(entry)


async def test_stop_cancels_work_in_flight_waits_for_it_and_leaves_the_key_for_the_next_start() -> None:
    clock = LoopClock()
    cancelled: list[Key] = []

    async def endless(key: Key) -> datetime.datetime | None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(key)
            raise
        return None

    tasks_before = asyncio.all_tasks()
    scheduler = Scheduler(endless, clock, workers=4)
    scheduler.changed(A)
    scheduler.schedule(B, clock.at(3600))
    scheduler.start()
    await asyncio.sleep(1)
    assert scheduler.in_flight == 1
    await scheduler.stop()
    assert cancelled == [A]
    assert asyncio.all_tasks() == tasks_before  # no dispatcher, no worker left behind
    assert (scheduler.in_flight, scheduler.depth) == (0, 2)

    work = Recorder(clock)
    restarted = Scheduler(work, clock, workers=4)
    for key in (A, B):
        restarted.schedule(key, scheduler.queue.due_of(key) or clock.at(0))
    async with running(restarted):
        await asyncio.sleep(1)
    assert [key for key, _ in work.calls] == [A]


async def test_a_wall_clock_that_steps_ahead_is_noticed_within_five_minutes() -> None:
    clock = LoopClock()
    work = Recorder(clock)
    scheduler = Scheduler(work, clock, workers=4)
    scheduler.schedule(A, clock.at(24 * 3600))
    async with running(scheduler):
        await asyncio.sleep(10)
        clock.step(24 * 3600)  # the timer still counts a day of loop time
        await asyncio.sleep(3600)
    [(_, at)] = work.calls
    assert 10 < at <= 10 + 300
