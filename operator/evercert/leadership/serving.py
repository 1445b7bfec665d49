"""Which Certificates, Ingress namespaces and Issuers this replica serves, and what follows when it
gains or loses shards: a look at what it gained, work on what it lost stopped at once."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Awaitable, Callable, Iterable

from ..scheduling import Scheduler
from .elector import Elector
from .policy import Timing, hand_over_grace
from .shards import shard_of

log = logging.getLogger(__name__)


class Serving:
    def __init__(self, count: int = 1) -> None:
        self.count = count
        self.elector: Elector | None = None  # None: serve everything (a single replica, tests)
        # Called with the shards gained (the ingress-shim and the Issuers register here).
        self.on_gained: list[Callable[[frozenset[int]], Awaitable[object]]] = []
        self._task: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[object]] = set()
        self.stopping = False

    def start(self) -> None:
        """Start holding Leases; from an event handler, so that the tasks can post Events (kopf's context)."""
        if self.elector is not None and self._task is None:
            self._task = asyncio.create_task(self.elector.run(), name="evercert leases")

    def spawn(self, work: Awaitable[object]) -> None:
        task = asyncio.ensure_future(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def stop(self) -> None:
        """Work has stopped: hand the Leases over at once (a rolling update, SIGTERM), not after expiry."""
        self.stopping = True
        for task in [*self._pending, *([self._task] if self._task else [])]:
            task.cancel()
        await asyncio.gather(*self._pending, *([self._task] if self._task else []), return_exceptions=True)
        if self.elector is not None:
            await self.elector.release()

    def serves(self, namespace: str | None, name: str) -> bool:
        return self.elector is None or self.elector.serves(namespace, name)

    def shard(self, namespace: str | None, name: str) -> int:
        return shard_of(namespace, name, self.count)

    def write_grace(self) -> float:
        """How long a look stopped mid-write may still finish it (see policy.hand_over_grace)."""
        return hand_over_grace(self.elector.timing if self.elector is not None else Timing())


def lease_timing(duration: float) -> Timing:
    """client-go's proportions (15 s / 10 s / 2 s) for a Lease of `duration` seconds."""
    return Timing(duration, duration * 2 / 3, duration * 2 / 15)


Key = tuple[str, str]


def gained(
    serving: Serving, certificates: Iterable[Key], look_again: Callable[[Key], None], shards: frozenset[int]
) -> None:
    """Look at every Certificate of the shards now held; tell the others (shim, Issuers)."""
    for key in certificates:
        if serving.shard(*key) in shards:
            look_again(key)
    for listener in serving.on_gained:
        serving.spawn(listener(shards))


def lost(
    serving: Serving, scheduler: Scheduler[Key] | None, shards: frozenset[int]
) -> asyncio.Future[object] | None:
    """Stop work on the shards lost, before their Leases can be taken over; returns the wait for that
    work to end (a look placing an order finishes recording it first, within the write grace). With
    one shard (a leader and standbys) the replica then ends, so that Kubernetes starts it again as a
    standby."""
    stopping: list[asyncio.Task[None]] = []
    if scheduler is not None:
        for key in scheduler.working_on():
            if serving.shard(*key) in shards:
                stopping.extend(scheduler.cancel(key))
    if serving.count == 1 and not serving.stopping:
        log.error("leadership lost; stopping so that a fresh start stands by")
        os.kill(os.getpid(), signal.SIGTERM)
    if not stopping:
        return None
    return asyncio.ensure_future(asyncio.wait(stopping, timeout=serving.write_grace()))
