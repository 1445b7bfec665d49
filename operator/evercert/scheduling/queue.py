"""A due-time work queue with client-go's work-queue semantics, pure and driven by an injected clock.

A key waits in the queue at most once, at its earliest due time. A key being worked on is never
handed out again until `done`; a change meanwhile re-queues it once, when `done` is called."""

from __future__ import annotations

import datetime
import heapq
import itertools
from collections.abc import Hashable
from typing import Generic, TypeVar

from evercert.core.clock import Clock

K = TypeVar("K", bound=Hashable)

# Stale heap entries (a key moved earlier, taken or forgotten) are skipped when popped; the heap is
# rebuilt when they outnumber the live ones, so moving keys around cannot grow it without bound.
_COMPACT_AT = 64


class WorkQueue(Generic[K]):
    """Keys due at a time; `take` hands out due keys in due order (first scheduled first on ties)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._heap: list[tuple[datetime.datetime, int, K]] = []
        self._queued: dict[K, tuple[datetime.datetime, int]] = {}
        # Keys being worked on -> the earliest due time asked for meanwhile (None: nothing asked).
        self._working: dict[K, datetime.datetime | None] = {}
        self._forgotten: set[K] = set()
        self._order = itertools.count()

    def schedule(self, key: K, due: datetime.datetime) -> None:
        """Queue `key` at `due`, unless it already waits for an earlier time."""
        if key in self._working:
            self._forgotten.discard(key)
            pending = self._working[key]
            self._working[key] = due if pending is None else min(pending, due)
            return
        queued = self._queued.get(key)
        if queued is not None and queued[0] <= due:
            return
        entry = (due, next(self._order))
        self._queued[key] = entry
        heapq.heappush(self._heap, (*entry, key))
        self._compact_if_stale()

    def changed(self, key: K) -> None:
        """The object behind `key` changed: it is due now."""
        self.schedule(key, self._clock.now())

    def forget(self, key: K) -> None:
        """The object is gone: drop the key, and do not re-queue it when its current work ends."""
        self._queued.pop(key, None)
        if key in self._working:
            self._working[key] = None
            self._forgotten.add(key)
        self._compact_if_stale()

    def take(self) -> K | None:
        """The key due first, if its time has come; it counts as being worked on until `done`."""
        now = self._clock.now()
        while self._heap:
            due, order, key = self._heap[0]
            if self._queued.get(key) != (due, order):
                heapq.heappop(self._heap)
                continue
            if due > now:
                return None
            heapq.heappop(self._heap)
            del self._queued[key]
            self._working[key] = None
            return key
        return None

    def done(self, key: K, next_due: datetime.datetime | None) -> None:
        """Work on `key` ended; queue it again at `next_due` or at an earlier time asked for meanwhile."""
        pending = self._working.pop(key)
        if key in self._forgotten:
            self._forgotten.discard(key)
            return
        dues = [due for due in (pending, next_due) if due is not None]
        if dues:
            self.schedule(key, min(dues))

    def next_due(self) -> datetime.datetime | None:
        """When the first waiting key falls due (None when nothing waits)."""
        while self._heap:
            due, order, key = self._heap[0]
            if self._queued.get(key) == (due, order):
                return due
            heapq.heappop(self._heap)
        return None

    def due_of(self, key: K) -> datetime.datetime | None:
        """When `key` is due, if it waits in the queue."""
        queued = self._queued.get(key)
        return queued[0] if queued else None

    def __len__(self) -> int:
        """How many keys wait (the queue's depth), not counting those being worked on."""
        return len(self._queued)

    def __contains__(self, key: object) -> bool:
        return key in self._queued

    @property
    def in_flight(self) -> int:
        """How many keys are being worked on."""
        return len(self._working)

    def is_working(self, key: K) -> bool:
        return key in self._working

    def _compact_if_stale(self) -> None:
        if len(self._heap) > _COMPACT_AT and len(self._heap) > 2 * len(self._queued):
            self._heap = [(due, order, key) for key, (due, order) in self._queued.items()]
            heapq.heapify(self._heap)
