"""A clock that reads the running event loop's time: under looptime, fake time that jumps while idle."""

from __future__ import annotations

import asyncio
import datetime

START = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


class LoopClock:
    def __init__(self, start: datetime.datetime = START) -> None:
        self._loop = asyncio.get_running_loop()
        self._origin = self._loop.time()
        self._start = start

    def now(self) -> datetime.datetime:
        return self._start + datetime.timedelta(seconds=self.elapsed())

    def elapsed(self) -> float:
        """Seconds of loop time since this clock was made."""
        return self._loop.time() - self._origin

    def at(self, seconds: float) -> datetime.datetime:
        """The wall-clock time `seconds` after this clock was made."""
        return self._start + datetime.timedelta(seconds=seconds)

    def step(self, seconds: float) -> None:
        """Move the wall clock without the loop's clock (an NTP step, a resumed node)."""
        self._start += datetime.timedelta(seconds=seconds)
