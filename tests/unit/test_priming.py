"""Priming (kube/priming.py): readers wait until every object listed at start came through the watch."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable

import pytest

from evercert.kube import priming as priming_module
from evercert.kube.priming import Priming


def listing(keys: set[tuple[str, str]], answered: asyncio.Event) -> Callable[[], Awaitable[set[Hashable]]]:
    async def run() -> set[Hashable]:
        await answered.wait()
        return set(keys)

    return run


async def test_never_started_means_nobody_waits() -> None:
    priming = Priming("things")
    assert priming.done
    await asyncio.wait_for(priming.wait(), timeout=5)


async def test_done_once_every_listed_object_was_delivered_before_or_after_the_listing() -> None:
    priming, answered = Priming("things"), asyncio.Event()
    priming.start(listing({("a", "1"), ("a", "2"), ("b", "3")}, answered), deadline=3600)
    priming.delivered(("a", "1"))  # the watch may be faster than the listing
    answered.set()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert not priming.done
    priming.delivered(("a", "2"))
    priming.delivered(("x", "new"))  # created after the listing: nobody waits for it
    assert not priming.done
    waiter = asyncio.create_task(priming.wait())
    priming.delivered(("b", "3"))  # a deletion counts as delivered too
    await asyncio.wait_for(waiter, timeout=5)
    assert priming.done
    priming.stop()


async def test_an_empty_listing_is_done_at_once() -> None:
    priming, answered = Priming("things"), asyncio.Event()
    answered.set()
    priming.start(listing(set(), answered), deadline=3600)
    await asyncio.wait_for(priming.wait(), timeout=5)


async def test_a_failed_listing_stops_the_waiting() -> None:
    async def failing() -> set[Hashable]:
        raise OSError("apiserver away")

    priming = Priming("things")
    priming.start(failing, deadline=3600)
    assert not priming.done
    await asyncio.wait_for(priming.wait(), timeout=5)


async def test_the_deadline_ends_waiting_for_objects_that_never_come() -> None:
    priming, answered = Priming("things"), asyncio.Event()
    answered.set()
    priming.start(listing({("a", "deleted-before-the-watch")}, answered), deadline=0.01)
    await asyncio.wait_for(priming.wait(), timeout=5)
    assert priming.done


async def test_those_that_did_not_wait_are_called_once_when_done() -> None:
    priming, answered = Priming("things"), asyncio.Event()
    calls: list[str] = []
    priming.on_done.append(lambda: calls.append("caught up"))
    priming.start(listing({("a", "1")}, answered), deadline=3600)
    answered.set()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert calls == []
    priming.delivered(("a", "1"))
    priming.delivered(("a", "1"))
    await asyncio.wait_for(priming.wait(), timeout=5)
    assert calls == ["caught up"]


async def test_objects_deleted_before_the_watch_began_are_no_longer_awaited_once_deliveries_stall(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(priming_module, "STALL_SECONDS", 0.01)
    answers = [{("a", "1"), ("a", "gone")}, {("a", "1")}]
    lists = 0

    async def listing_twice() -> set[Hashable]:
        nonlocal lists
        lists += 1
        return set(answers[min(lists, len(answers)) - 1])

    priming = Priming("things")
    priming.start(listing_twice, deadline=3600)
    priming.delivered(("a", "1"))
    await asyncio.wait_for(priming.wait(), timeout=5)
    assert lists == 2 and priming.done
