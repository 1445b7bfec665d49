"""A daemon looks again only once its body shows the status it wrote itself (certificates.wakeups.OwnWrites).

The loop's time is faked (looptime): waits and time-outs are exact, not real-time windows."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from evercert.certificates.wakeups import OwnWrites, shows

pytestmark = pytest.mark.looptime


def test_a_status_shows_the_fields_written_and_the_ones_removed() -> None:
    status = {"revision": 2, "conditions": [{"type": "Ready"}], "renewalInfo": {"a": 1, "b": 2}}
    assert shows(status, {"revision": 2, "order": None, "renewalInfo": {"a": 1}})
    assert not shows(status, {"revision": 3})
    assert not shows({**status, "order": {"url": "u"}}, {"order": None})
    assert not shows(status, {"conditions": [{"type": "Issuing"}]})
    assert not shows({}, {"renewalInfo": {"a": 1}})
    # another writer (the ingress-shim) added a condition after ours: ours still shows
    assert shows(
        {"conditions": [{"type": "Ready"}, {"type": "IngressConflict"}]}, {"conditions": [{"type": "Ready"}]}
    )


async def test_nothing_written_means_no_wait() -> None:
    writes = OwnWrites()
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await writes.caught_up("ns", "web", lambda: {}, 5)
    assert loop.time() == started


async def test_waits_until_the_body_shows_the_writes() -> None:
    writes = OwnWrites()
    body: dict[str, Any] = {"status": {"order": {"url": "u"}, "revision": 1}}
    writes.wrote("ns", "web", {"revision": 2})
    writes.wrote("ns", "web", {"order": None})  # the later write adds to the first

    async def watch_event() -> None:
        await asyncio.sleep(1)
        body["status"] = {"revision": 2, "order": {"url": "u"}}  # the first write only
        writes.body_changed("ns", "web")
        await asyncio.sleep(1)
        body["status"] = {"revision": 2}  # both
        writes.body_changed("ns", "web")

    loop = asyncio.get_running_loop()
    started = loop.time()
    event = asyncio.create_task(watch_event())
    assert await writes.caught_up("ns", "web", lambda: body["status"], 5)
    assert loop.time() - started == pytest.approx(2)  # the second event, not the time-out
    assert body["status"] == {"revision": 2}
    await event
    assert await writes.caught_up("ns", "web", lambda: {}, 5)  # consumed: nothing left to wait for


async def test_gives_up_after_the_timeout() -> None:
    writes = OwnWrites()
    writes.wrote("ns", "web", {"revision": 2})
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert not await writes.caught_up("ns", "web", lambda: {"revision": 1}, 5)
    assert loop.time() - started == pytest.approx(5)
