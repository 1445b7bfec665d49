"""kopf's start-up gate (handlers/readiness.py): waiters still wake when the last toggle goes, but a
drop that leaves the set's state as it was wakes nobody."""

from __future__ import annotations

import asyncio

from kopf._cogs.aiokits.aiotoggles import ToggleSet

from evercert.handlers import readiness

readiness.install()


async def _waiters_woken(toggles: int, waiters: int) -> tuple[int, int]:
    """(wake-ups of all waiters while all but one toggle are dropped, then after the last drop)."""
    gate = ToggleSet(all)
    made = [await gate.make_toggle(name=str(i)) for i in range(toggles)]
    woken = 0

    def check() -> bool:
        nonlocal woken
        woken += 1
        return gate.is_on()

    async def wait() -> None:
        async with gate._condition:
            await gate._condition.wait_for(check)

    tasks = [asyncio.create_task(wait()) for _ in range(waiters)]
    await asyncio.sleep(0)
    initial = woken
    for toggle in made[:-1]:
        await gate.drop_toggle(toggle)
        await asyncio.sleep(0)
    before_last = woken - initial
    await gate.drop_toggle(made[-1])
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)
    return before_last, woken - initial - before_last


async def test_drops_that_change_nothing_wake_nobody() -> None:
    before_last, after_last = await _waiters_woken(toggles=50, waiters=20)
    assert before_last == 0
    assert after_last == 20


async def test_a_new_toggle_turns_the_set_off_and_back_on() -> None:
    gate = ToggleSet(all)
    assert gate.is_on()
    toggle = await gate.make_toggle(name="one")
    assert gate.is_off()
    waiter = asyncio.create_task(gate.wait_for(True))
    await asyncio.sleep(0)
    assert not waiter.done()
    await gate.drop_toggles([toggle])
    await asyncio.wait_for(waiter, timeout=5)
    assert gate.is_on()


async def test_turning_a_toggle_still_notifies() -> None:
    gate = ToggleSet(any)
    toggle = await gate.make_toggle(False, name="paused")
    waiter = asyncio.create_task(gate.wait_for(True))
    await asyncio.sleep(0)
    await toggle.turn_to(True)
    await asyncio.wait_for(waiter, timeout=5)
