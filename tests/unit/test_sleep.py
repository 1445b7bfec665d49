"""A Certificate's daemon sleeps on one event and one timer (reconcile.sleep_until)."""

from __future__ import annotations

import asyncio
import datetime

import pytest

from evercert.reconcile import sleep_until


def after(seconds: float) -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=seconds)


async def test_wakes_at_the_given_time() -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.wait_for(sleep_until(after(0.2), asyncio.Event()), timeout=5)
    assert 0.15 <= loop.time() - started < 2


async def test_a_time_in_the_past_wakes_at_once() -> None:
    await asyncio.wait_for(sleep_until(after(-60), asyncio.Event()), timeout=1)


async def test_the_wakeup_event_ends_the_sleep_before_its_time() -> None:
    wakeup = asyncio.Event()
    asyncio.get_running_loop().call_later(0.05, wakeup.set)
    await asyncio.wait_for(sleep_until(after(3600), wakeup), timeout=2)


async def test_no_time_sleeps_until_woken() -> None:
    wakeup = asyncio.Event()
    sleeping = asyncio.create_task(sleep_until(None, wakeup))
    await asyncio.sleep(0.2)
    assert not sleeping.done()
    wakeup.set()
    await asyncio.wait_for(sleeping, timeout=1)


async def test_cancelling_ends_the_sleep_and_its_timer() -> None:
    wakeup = asyncio.Event()
    sleeping = asyncio.create_task(sleep_until(after(0.2), wakeup))
    await asyncio.sleep(0.05)
    sleeping.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sleeping
    await asyncio.sleep(0.3)
    assert not wakeup.is_set()  # the timer went with the sleep


async def test_sleeping_adds_no_task() -> None:
    before = len(asyncio.all_tasks())
    sleeping = asyncio.create_task(sleep_until(after(3600), asyncio.Event()))
    await asyncio.sleep(0.05)
    assert len(asyncio.all_tasks()) == before + 1  # the sleeper itself, nothing under it
    sleeping.cancel()
