"""The issuance bound (scheduling/slots.py) and the scheduler's settings (scheduling/settings.py)."""

from __future__ import annotations

import asyncio

import pytest

from evercert.scheduling import IssuanceSlots, SchedulingSettings

pytestmark = pytest.mark.looptime


async def test_no_more_issuances_hold_a_slot_at_once_than_the_limit() -> None:
    slots = IssuanceSlots(2)
    peak = 0
    seen: list[tuple[int, int]] = []

    async def issue() -> None:
        nonlocal peak
        async with slots.hold():
            peak = max(peak, slots.in_flight)
            await asyncio.sleep(10)

    tasks = [asyncio.create_task(issue()) for _ in range(5)]
    await asyncio.sleep(1)
    seen.append((slots.in_flight, slots.waiting))
    await asyncio.gather(*tasks)
    seen.append((slots.in_flight, slots.waiting))
    assert peak == 2
    assert seen == [(2, 3), (0, 0)]


async def test_a_slot_comes_back_when_the_issuance_fails_or_is_cancelled() -> None:
    slots = IssuanceSlots(1)

    async def failing() -> None:
        async with slots.hold():
            raise RuntimeError("order refused")

    with pytest.raises(RuntimeError):
        await failing()
    holder = asyncio.create_task(hold_forever(slots))
    waiter = asyncio.create_task(hold_forever(slots))
    await asyncio.sleep(1)
    assert (slots.in_flight, slots.waiting) == (1, 1)
    waiter.cancel()
    holder.cancel()
    await asyncio.gather(holder, waiter, return_exceptions=True)
    assert (slots.in_flight, slots.waiting) == (0, 0)
    async with slots.hold():
        assert slots.in_flight == 1


async def hold_forever(slots: IssuanceSlots) -> None:
    async with slots.hold():
        await asyncio.Event().wait()


def test_the_issuance_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        IssuanceSlots(0)


def test_settings_default_to_64_workers_and_32_issuances() -> None:
    assert SchedulingSettings.from_env({}) == SchedulingSettings(workers=64, max_concurrent_issuances=32)


def test_settings_are_read_from_the_environment() -> None:
    environ = {"EVERCERT_WORKERS": "128", "EVERCERT_MAX_CONCURRENT_ISSUANCES": " 8 "}
    assert SchedulingSettings.from_env(environ) == SchedulingSettings(workers=128, max_concurrent_issuances=8)


@pytest.mark.parametrize(
    ("value", "message"), [("0", "at least 1"), ("-3", "at least 1"), ("many", "a whole number")]
)
def test_a_limit_that_is_not_a_positive_number_is_refused(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"EVERCERT_MAX_CONCURRENT_ISSUANCES must be {message}"):
        SchedulingSettings.from_env({"EVERCERT_MAX_CONCURRENT_ISSUANCES": value})
