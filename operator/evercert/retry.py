"""The one retry policy: how long to wait after failures, honouring the CA's Retry-After.

Used by the Certificate loop (failed issuance attempts) and by Issuer registration alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=4)
# Any first backoff of a second or more, doubled 14 times, exceeds BACKOFF_MAX; capping the exponent
# keeps huge counts cheap.
_BACKOFF_MAX_DOUBLINGS = 14
# Retry-After is honoured for at most a day, so that a wrong header cannot stop renewals for good.
MAX_RETRY_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class RetryPolicy:
    first: timedelta = BACKOFF_FIRST
    maximum: timedelta = BACKOFF_MAX

    def delay(self, failed_attempts: int) -> timedelta:
        """Wait after the n-th consecutive failure: none before any, `first` after the first, doubling."""
        if failed_attempts <= 0:
            return timedelta(0)
        doublings = min(failed_attempts - 1, _BACKOFF_MAX_DOUBLINGS)
        return min(self.first * 2**doublings, self.maximum)

    def next_attempt(
        self, last_failure: datetime, failed_attempts: int, retry_after: datetime | None = None
    ) -> datetime:
        """The later of the backoff since the last failure and Retry-After, rounded up to a whole second
        (status timestamps hold whole seconds: a stored time is never early)."""
        until = last_failure + self.delay(failed_attempts)
        if retry_after is not None:
            until = max(until, min(retry_after, last_failure + MAX_RETRY_AFTER))
        whole = until.replace(microsecond=0)
        return whole if whole == until else whole + timedelta(seconds=1)
