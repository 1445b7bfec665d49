"""A daemon looks again only once its body shows the status it wrote itself (runtime.OwnWrites)."""

from __future__ import annotations

import asyncio
from typing import Any

from evercert.runtime import OwnWrites, shows


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
    assert await asyncio.wait_for(writes.caught_up("ns", "web", lambda: {}, 5), 0.5)


async def test_waits_until_the_body_shows_the_writes() -> None:
    writes = OwnWrites()
    body: dict[str, Any] = {"status": {"order": {"url": "u"}, "revision": 1}}
    writes.wrote("ns", "web", {"revision": 2})
    writes.wrote("ns", "web", {"order": None})  # the later write adds to the first

    async def watch_event() -> None:
        await asyncio.sleep(0.05)
        body["status"] = {"revision": 2, "order": {"url": "u"}}  # the first write only
        writes.body_changed("ns", "web")
        await asyncio.sleep(0.05)
        body["status"] = {"revision": 2}  # both
        writes.body_changed("ns", "web")

    event = asyncio.create_task(watch_event())
    assert await asyncio.wait_for(writes.caught_up("ns", "web", lambda: body["status"], 5), 2)
    assert body["status"] == {"revision": 2}
    await event
    assert await writes.caught_up("ns", "web", lambda: {}, 5)  # consumed: nothing left to wait for


async def test_gives_up_after_the_timeout() -> None:
    writes = OwnWrites()
    writes.wrote("ns", "web", {"revision": 2})
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert not await writes.caught_up("ns", "web", lambda: {"revision": 1}, 0.1)
    assert 0.09 <= loop.time() - started < 1
