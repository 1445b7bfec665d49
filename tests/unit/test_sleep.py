"""A Certificate's daemon sleeps on one event and one timer (certificates.wakeups.sleep_until).

The loop's time is faked (looptime) and the wall clock reads it, so the times asserted are exact."""

from __future__ import annotations

import asyncio

import pytest

from evercert.certificates.wakeups import sleep_until
from tests.support.loop_clock import LoopClock

pytestmark = pytest.mark.looptime


async def test_wakes_at_the_given_time() -> None:
    clock = LoopClock()
    await sleep_until(clock.at(200), asyncio.Event(), clock)
    assert clock.elapsed() == pytest.approx(200)


async def test_a_time_in_the_past_wakes_at_once() -> None:
    clock = LoopClock()
    await sleep_until(clock.at(-60), asyncio.Event(), clock)
    assert clock.elapsed() == 0


async def test_the_wakeup_event_ends_the_sleep_before_its_time() -> None:
    clock = LoopClock()
    wakeup = asyncio.Event()
    asyncio.get_running_loop().call_later(5, wakeup.set)
    await sleep_until(clock.at(3600), wakeup, clock)
    assert clock.elapsed() == pytest.approx(5)


async def test_no_time_sleeps_until_woken() -> None:
    clock = LoopClock()
    wakeup = asyncio.Event()
    asyncio.get_running_loop().call_later(86400, wakeup.set)
    await sleep_until(None, wakeup, clock)
    assert clock.elapsed() == pytest.approx(86400)


async def test_cancelling_ends_the_sleep_and_its_timer() -> None:
    clock = LoopClock()
    wakeup = asyncio.Event()
    sleeping = asyncio.create_task(sleep_until(clock.at(20), wakeup, clock))
    await asyncio.sleep(5)
    sleeping.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sleeping
    await asyncio.sleep(30)
    assert not wakeup.is_set()  # the timer went with the sleep


async def test_sleeping_adds_no_task() -> None:
    clock = LoopClock()
    before = len(asyncio.all_tasks())
    sleeping = asyncio.create_task(sleep_until(clock.at(3600), asyncio.Event(), clock))
    await asyncio.sleep(1)
    assert len(asyncio.all_tasks()) == before + 1  # the sleeper itself, nothing under it
    sleeping.cancel()
