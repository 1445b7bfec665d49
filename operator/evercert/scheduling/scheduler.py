"""The runner: a bounded pool of workers takes due keys from a WorkQueue and calls the work function.

One dispatcher sleeps on one event and one timer until the first key falls due (or an earlier one
arrives); each due key runs in its own task, at most `workers` at once."""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Awaitable, Callable
from typing import Generic

from evercert.core.clock import Clock

from .queue import K, WorkQueue

log = logging.getLogger(__name__)

# The work function looks at one key and says when to look again (None: only when it changes).
Work = Callable[[K], Awaitable[datetime.datetime | None]]

FIRST_RETRY = datetime.timedelta(seconds=1)
LONGEST_RETRY = datetime.timedelta(minutes=5)
# Due times are wall-clock, the timer runs on the loop's monotonic clock; the two drift apart (a
# suspended node, a clock step), so the timer never sleeps longer than this before checking again.
LONGEST_SLEEP_SECONDS = 300.0


def retry_delay(failures: int, first: datetime.timedelta, longest: datetime.timedelta) -> datetime.timedelta:
    """`first`, doubling with each further failure, never more than `longest`."""
    return min(longest, first * 2 ** min(failures - 1, 32))


class Scheduler(Generic[K]):
    """Runs `work` on each key when it falls due, never on one key twice at once."""

    def __init__(
        self,
        work: Work[K],
        clock: Clock,
        *,
        workers: int,
        first_retry: datetime.timedelta = FIRST_RETRY,
        longest_retry: datetime.timedelta = LONGEST_RETRY,
    ) -> None:
        if workers < 1:
            raise ValueError(f"the scheduler needs at least 1 worker, not {workers}")
        self.queue: WorkQueue[K] = WorkQueue(clock)
        self.workers = workers
        self._work = work
        self._clock = clock
        self._first_retry = first_retry
        self._longest_retry = longest_retry
        self._failures: dict[K, int] = {}
        self._free = asyncio.Semaphore(workers)
        self._wakeup = asyncio.Event()
        self._sleeping_until: datetime.datetime | None = None
        self._sleeping = False
        self._dispatcher: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._working: dict[K, asyncio.Task[None]] = {}

    def schedule(self, key: K, due: datetime.datetime) -> None:
        """Look at `key` at `due` (or earlier, if already asked for)."""
        self.queue.schedule(key, due)
        self._wake_if_earlier(due)

    def changed(self, key: K) -> None:
        """The object behind `key` changed: look at it now (once more after the current look, if any)."""
        now = self._clock.now()
        self.queue.schedule(key, now)
        self._wake_if_earlier(now)

    def forget(self, key: K) -> None:
        """The object is gone: never look at it again (unless it is scheduled anew)."""
        self.queue.forget(key)
        self._failures.pop(key, None)

    def cancel(self, key: K) -> list[asyncio.Task[None]]:
        """Stop the work on `key` now, if any (this replica lost it); the key is looked at again later.
        Returns the work cancelled, to wait for its end."""
        task = self._working.get(key)
        if task is None:
            return []
        task.cancel()
        return [task]

    def working_on(self) -> list[K]:
        return list(self._working)

    @property
    def in_flight(self) -> int:
        """Keys being worked on now."""
        return self.queue.in_flight

    @property
    def depth(self) -> int:
        """Keys waiting for their time or for a free worker."""
        return len(self.queue)

    def start(self) -> None:
        if self._dispatcher is None:
            self._dispatcher = asyncio.create_task(self._dispatch(), name="evercert scheduler")

    async def stop(self) -> None:
        """Cancel the dispatcher and all work in flight, and wait until they have ended."""
        tasks = [*self._running, *([self._dispatcher] if self._dispatcher else [])]
        self._dispatcher = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _dispatch(self) -> None:
        while True:
            await self._free.acquire()
            try:
                key = await self._next_key()
            except BaseException:
                self._free.release()
                raise
            task = asyncio.create_task(self._run(key), name=f"evercert work {key}")
            self._running.add(task)
            self._working[key] = task
            task.add_done_callback(self._running.discard)

    async def _next_key(self) -> K:
        while (key := self.queue.take()) is None:
            await self._sleep_until(self.queue.next_due())
        return key

    async def _sleep_until(self, due: datetime.datetime | None) -> None:
        self._wakeup.clear()
        timer = None
        if due is not None:
            delay = min(max((due - self._clock.now()).total_seconds(), 0.0), LONGEST_SLEEP_SECONDS)
            timer = asyncio.get_running_loop().call_later(delay, self._wakeup.set)
        self._sleeping, self._sleeping_until = True, due
        try:
            await self._wakeup.wait()
        finally:
            self._sleeping = False
            if timer is not None:
                timer.cancel()

    def _wake_if_earlier(self, due: datetime.datetime) -> None:
        if self._sleeping and (self._sleeping_until is None or due < self._sleeping_until):
            self._wakeup.set()

    async def _run(self, key: K) -> None:
        next_due: datetime.datetime | None = None
        try:
            next_due = await self._work(key)
            self._failures.pop(key, None)
        except asyncio.CancelledError:
            # Stopped mid-look: the key is looked at first thing when the scheduler runs again.
            next_due = self._clock.now()
            raise
        except Exception:
            failures = self._failures[key] = self._failures.get(key, 0) + 1
            delay = retry_delay(failures, self._first_retry, self._longest_retry)
            next_due = self._clock.now() + delay
            log.error(
                "work on a key failed; retrying",
                exc_info=True,
                extra={"key": str(key), "failures": failures, "retry_seconds": delay.total_seconds()},
            )
        finally:
            self._working.pop(key, None)
            self.queue.done(key, next_due)
            self._free.release()
            requeued = self.queue.due_of(key)
            if requeued is None:
                self._failures.pop(key, None)
            else:
                self._wake_if_earlier(requeued)
