"""A clock that moves only when a test moves it."""

from __future__ import annotations

import datetime


class ManualClock:
    def __init__(self, start: datetime.datetime | None = None) -> None:
        self.current = start or datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)

    def now(self) -> datetime.datetime:
        return self.current

    def advance(self, delta: datetime.timedelta | float) -> None:
        seconds = delta if isinstance(delta, datetime.timedelta) else datetime.timedelta(seconds=delta)
        self.current += seconds
