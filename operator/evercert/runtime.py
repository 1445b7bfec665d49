"""What every part of the operator shares: the API client, settings, the clock, the Event recorder,
the ACME thread pool, and the Certificate loop's wake-ups."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .certificates.wakeups import OwnWrites, Wakeups
from .clock import Clock, SystemClock
from .events import EventRecorder, KopfEvents
from .heap import HeapTrimmer
from .issuers.session import AccountRegistry
from .kube.client import Kube
from .retry import RetryPolicy
from .settings import Settings

T = TypeVar("T")


@dataclass
class Runtime:
    kube: Kube
    settings: Settings
    executor: concurrent.futures.ThreadPoolExecutor
    clock: Clock = field(default_factory=SystemClock)
    events: EventRecorder = field(default_factory=KopfEvents)
    wakeups: Wakeups = field(default_factory=Wakeups)
    own_writes: OwnWrites = field(default_factory=OwnWrites)
    accounts: AccountRegistry = field(default_factory=AccountRegistry)
    heap: HeapTrimmer = field(default_factory=HeapTrimmer.for_this_platform)

    @property
    def retry(self) -> RetryPolicy:
        return RetryPolicy(first=self.settings.first_backoff)

    async def blocking(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking call (the acme library) in the ACME thread pool, off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(fn, *args, **kwargs))
