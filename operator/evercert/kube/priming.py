"""Whether the watch has delivered what was there at start: a store fed by a watch is complete once
every object an initial LIST named has come through (or is gone), so readers wait for that, once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable

log = logging.getLogger(__name__)


# With nothing delivered for this long, the objects still awaited are listed again: those deleted
# between the first LIST and the watch's own never come, and are no longer awaited.
STALL_SECONDS = 2.0

Listing = Callable[[], Awaitable[set[Hashable]]]


class Priming:
    """The objects listed at start that the watch has not delivered yet. Readers wait on `wait()`.
    An object deleted before the watch began never comes: when deliveries stall, a new LIST drops
    what is gone. When the listing fails, or `deadline` passes, waiting ends: then a reader misses
    only what it would otherwise have read from the API itself.

    Done until `start()`: a store that was never primed has nobody waiting on it."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._delivered: set[Hashable] | None = None  # from start() until the listing answers
        self._pending: set[Hashable] = set()
        self._done = asyncio.Event()
        self._done.set()
        self._task: asyncio.Task[None] | None = None
        self._began = 0.0
        self._progress = 0.0  # loop time of the last delivery that was awaited
        # Called once when it is done: readers that did not wait catch up then.
        self.on_done: list[Callable[[], object]] = []

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def delivered(self, key: Hashable) -> None:
        """The watch brought this object (or its deletion)."""
        if self._done.is_set():
            return
        if self._delivered is not None:
            self._delivered.add(key)
            return
        if key in self._pending:
            self._pending.discard(key)
            self._progress = asyncio.get_running_loop().time()
        if not self._pending:
            self._finish()

    def listed(self, keys: set[Hashable]) -> None:
        """What the LIST at start named."""
        if self._done.is_set() or self._delivered is None:
            return
        self._pending, self._delivered = keys - self._delivered, None
        if not self._pending:
            self._finish()

    def start(self, listing: Listing, deadline: float) -> None:
        """List now (before the watch starts); stop waiting at most `deadline` seconds later."""
        self._done.clear()
        self._delivered = set()
        self._began = self._progress = asyncio.get_running_loop().time()
        self._task = asyncio.create_task(self._run(listing, deadline))

    async def _run(self, listing: Listing, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(deadline):
                self.listed(await listing())
                self._progress = loop.time()
                while not self._done.is_set():
                    try:
                        await asyncio.wait_for(self._done.wait(), STALL_SECONDS)
                    except TimeoutError:
                        if loop.time() - self._progress >= STALL_SECONDS:
                            self.still_there(await listing())
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any failure only means that readers stop waiting
            log.warning(
                "start-up listing incomplete; reading from the API where needed",
                extra={"what": self.what, "pending": len(self._pending), "error": type(exc).__name__},
            )
            self._finish()

    def still_there(self, keys: set[Hashable]) -> None:
        """What a new LIST names: awaited objects that are no longer there will not come."""
        if self._done.is_set() or self._delivered is not None:
            return
        self._pending &= keys
        self._progress = asyncio.get_running_loop().time()
        if not self._pending:
            self._finish()

    def _finish(self) -> None:
        if self._done.is_set():
            return
        self._pending, self._delivered = set(), None
        self._done.set()
        seconds = asyncio.get_running_loop().time() - self._began
        log.info("start-up listing delivered", extra={"what": self.what, "seconds": round(seconds, 1)})
        for callback in self.on_done:
            callback()

    async def wait(self) -> None:
        if not self._done.is_set():
            await self._done.wait()

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
