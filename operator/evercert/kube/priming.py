"""Whether the watch has delivered what was there at start: a store fed by a watch is complete once
every object an initial LIST named has come through (or is gone), so readers wait for that, once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable

log = logging.getLogger(__name__)


class Priming:
    """The objects listed at start that the watch has not delivered yet. Readers wait on `wait()`;
    when the listing fails or some never come (deleted before the watch began), `deadline` ends it:
    then a reader misses only what it would otherwise have read from the API itself.

    Done until `start()`: a store that was never primed has nobody waiting on it."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._delivered: set[Hashable] | None = None  # from start() until the listing answers
        self._pending: set[Hashable] = set()
        self._done = asyncio.Event()
        self._done.set()
        self._task: asyncio.Task[None] | None = None
        self._began = 0.0
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
        self._pending.discard(key)
        if not self._pending:
            self._finish()

    def listed(self, keys: set[Hashable]) -> None:
        """What the LIST at start named."""
        if self._done.is_set() or self._delivered is None:
            return
        self._pending, self._delivered = keys - self._delivered, None
        if not self._pending:
            self._finish()

    def start(self, listing: Awaitable[set[Hashable]], deadline: float) -> None:
        """List now (before the watch starts); stop waiting at most `deadline` seconds after each of the
        listing and the deliveries."""
        self._done.clear()
        self._delivered = set()
        self._began = asyncio.get_running_loop().time()
        self._task = asyncio.create_task(self._run(listing, deadline))

    async def _run(self, listing: Awaitable[set[Hashable]], deadline: float) -> None:
        try:
            self.listed(await asyncio.wait_for(listing, deadline))
            await asyncio.wait_for(self._done.wait(), deadline)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any failure only means that readers stop waiting
            log.warning(
                "start-up listing incomplete; reading from the API where needed",
                extra={"what": self.what, "pending": len(self._pending), "error": type(exc).__name__},
            )
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
