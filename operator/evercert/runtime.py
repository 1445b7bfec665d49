"""What every step of the operator shares: the API client, settings, the ACME thread pool, wake-ups."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .heap import HeapTrimmer
from .kube.client import Kube
from .settings import Settings

T = TypeVar("T")


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


@dataclass
class Runtime:
    kube: Kube
    settings: Settings
    executor: concurrent.futures.ThreadPoolExecutor
    wakeups: Wakeups = field(default_factory=Wakeups)
    heap: HeapTrimmer = field(default_factory=HeapTrimmer.for_this_platform)

    async def blocking(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking call (the acme library) in the ACME thread pool, off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(fn, *args, **kwargs))
