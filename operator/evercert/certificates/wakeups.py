"""When a Certificate looks again: its wake-up event, the status writes its body must show first,
and the sleep until the next look."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..clock import Clock


@dataclass
class Wakeups:
    """One asyncio.Event per Certificate: set it to make that Certificate look again at once."""

    events: dict[tuple[str, str], asyncio.Event] = field(default_factory=dict)
    # What each Certificate's daemon last looked at (generation, renew request): a change wakes it,
    # its own status writes don't.
    seen: dict[tuple[str, str], tuple[int | None, str | None]] = field(default_factory=dict)

    def event(self, namespace: str, name: str) -> asyncio.Event:
        return self.events.setdefault((namespace, name), asyncio.Event())

    def wake(self, namespace: str, name: str) -> None:
        if (namespace, name) in self.events:
            self.events[(namespace, name)].set()

    def wake_all(self) -> None:
        for event in self.events.values():
            event.set()

    def forget(self, namespace: str, name: str) -> None:
        self.events.pop((namespace, name), None)
        self.seen.pop((namespace, name), None)


def shows(actual: Any, written: Any) -> bool:
    """True when `actual` holds what a merge patch of `written` made of it (None: the field is gone).

    A list shows when it holds every item written: the ingress-shim may have added a condition since."""
    if isinstance(written, list):
        return isinstance(actual, list) and all(item in actual for item in written)
    if isinstance(written, Mapping):
        if not isinstance(actual, Mapping):
            return False
        return all(
            key not in actual if value is None else shows(actual.get(key), value)
            for key, value in written.items()
        )
    return bool(actual == written)


@dataclass
class OwnWrites:
    """The status each Certificate's daemon wrote, until its body (a watch event later) shows it.

    A daemon woken right after its own writes (by the Secret it just wrote, say) must not act on a
    body from before them: it would see the finished order still in status and report it again."""

    written: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    changed: dict[tuple[str, str], asyncio.Event] = field(default_factory=dict)

    def wrote(self, namespace: str, name: str, status: Mapping[str, Any]) -> None:
        self.written.setdefault((namespace, name), {}).update(status)

    def body_changed(self, namespace: str, name: str) -> None:
        event = self.changed.get((namespace, name))
        if event is not None:
            event.set()

    async def caught_up(self, namespace: str, name: str, status: Callable[[], Any], timeout: float) -> bool:
        """Wait (at most `timeout`) until `status()` shows every write; False when it did not in time."""
        key = (namespace, name)
        written = self.written.pop(key, None)
        if not written:
            return True
        event = self.changed.setdefault(key, asyncio.Event())
        deadline = asyncio.get_running_loop().time() + timeout
        try:
            while not shows(status() or {}, written):
                event.clear()
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    return False
                try:
                    await asyncio.wait_for(event.wait(), remaining)
                except TimeoutError:
                    return False
            return True
        finally:
            self.changed.pop(key, None)

    def forget(self, namespace: str, name: str) -> None:
        self.written.pop((namespace, name), None)
        self.changed.pop((namespace, name), None)


async def sleep_until(wake_at: datetime.datetime | None, wakeup: asyncio.Event, clock: Clock) -> None:
    """Sleep until `wake_at` or the wake-up event, whichever comes first.

    One timer and no extra task: a thousand sleeping Certificates cost little. A stopping daemon is
    cancelled by kopf (no cancellation backoff is set), which ends this sleep too."""
    timer = None
    if wake_at is not None:
        delay = max(0.0, (wake_at - clock.now()).total_seconds())
        timer = asyncio.get_running_loop().call_later(delay, wakeup.set)
    try:
        await wakeup.wait()
    finally:
        if timer is not None:
            timer.cancel()
