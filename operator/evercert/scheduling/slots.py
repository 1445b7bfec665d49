"""A bound on issuances in flight, so on the solver Pods alive at once; looks that issue nothing skip it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class IssuanceSlots:
    """At most `limit` holders at once; the others wait in arrival order. Counts feed the metrics."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"the issuance limit must be at least 1, not {limit}")
        self.limit = limit
        self._free = asyncio.Semaphore(limit)
        self._waiting = 0
        self._in_flight = 0

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        """Wait for a free slot, hold it for the block, give it back however the block ends."""
        self._waiting += 1
        try:
            await self._free.acquire()
        finally:
            self._waiting -= 1
        self._in_flight += 1
        try:
            yield
        finally:
            self._in_flight -= 1
            self._free.release()

    @property
    def in_flight(self) -> int:
        """Issuances holding a slot now."""
        return self._in_flight

    @property
    def waiting(self) -> int:
        """Issuances waiting for a slot."""
        return self._waiting
