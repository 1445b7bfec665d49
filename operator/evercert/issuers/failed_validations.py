"""In memory: the failed validations of each name under each ACME account in the last hour.

Let's Encrypt refuses a sixth failed authorization per name per account per hour; evercert stops at
four, so that a name that does not point at the cluster never reaches the CA's limit. Consulted before
each attempt; lost on restart (a restarted operator can add at most one hour's worth again)."""

from __future__ import annotations

import datetime
from collections import deque
from collections.abc import Iterable

MAX_FAILED_VALIDATIONS = 4
WINDOW = datetime.timedelta(hours=1)


class FailedValidations:
    def __init__(self, limit: int = MAX_FAILED_VALIDATIONS, window: datetime.timedelta = WINDOW) -> None:
        self.limit = limit
        self.window = window
        self._seen: dict[tuple[str, str], deque[datetime.datetime]] = {}

    def record(self, account: str, names: Iterable[str], at: datetime.datetime) -> None:
        """A validation of each of `names` failed under `account` at `at`."""
        for name in names:
            times = self._seen.setdefault((account, name.lower()), deque())
            times.append(at)
            self._forget_old(account, name.lower(), at)

    def held_until(
        self, account: str, names: Iterable[str], now: datetime.datetime
    ) -> datetime.datetime | None:
        """When an attempt for `names` may go ahead without a name failing a fifth time within the
        window; None when it may go ahead now."""
        until: datetime.datetime | None = None
        for name in names:
            times = self._forget_old(account, name.lower(), now)
            if len(times) >= self.limit:
                # Free once the oldest failure that keeps the count at the limit leaves the window.
                free_at = times[len(times) - self.limit] + self.window
                until = free_at if until is None else max(until, free_at)
        return until

    def __len__(self) -> int:
        """How many (account, name) records are kept."""
        return len(self._seen)

    def _forget_old(self, account: str, name: str, now: datetime.datetime) -> deque[datetime.datetime]:
        key = (account, name)
        times = self._seen.get(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            self._seen.pop(key, None)
        return times
