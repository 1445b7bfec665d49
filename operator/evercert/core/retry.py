"""The one retry policy: how long to wait after failures, honouring the CA's Retry-After.

Let's Encrypt's integration guide: retry after 1 minute, 10 minutes, 100 minutes, then once a day.
A certificate close to expiry is retried sooner, so that at least three attempts fit before it
expires. Used by the Certificate loop (failed issuance attempts) and by Issuer registration alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

BACKOFF_FIRST = timedelta(minutes=1)
# The schedule in multiples of the first wait: 1 min, 10 min, 100 min, then a day (1440 min).
SCHEDULE_FACTORS = (1, 10, 100)
DAILY_FACTOR = 1440
# However long the schedule says, leave room for this many attempts before the certificate expires.
ATTEMPTS_BEFORE_EXPIRY = 3
# Retry-After is honoured for at most a day, so that a wrong header cannot stop renewals for good.
MAX_RETRY_AFTER = timedelta(hours=24)
# The apiserver is away (restarting, say): whatever waits on it looks again this soon.
RETRY_AFTER_API_ERROR = timedelta(seconds=10)


@dataclass(frozen=True)
class RetryPolicy:
    # Scales the whole schedule (tests start it at a couple of seconds).
    first: timedelta = BACKOFF_FIRST

    def delay(self, failed_attempts: int) -> timedelta:
        """Wait after the n-th consecutive failure: none before any, then 1, 10, 100, 1440 times `first`."""
        if failed_attempts <= 0:
            return timedelta(0)
        if failed_attempts <= len(SCHEDULE_FACTORS):
            return self.first * SCHEDULE_FACTORS[failed_attempts - 1]
        return self.first * DAILY_FACTOR

    def next_attempt(
        self,
        last_failure: datetime,
        failed_attempts: int,
        retry_after: datetime | None = None,
        not_after: datetime | None = None,
    ) -> datetime:
        """When to try again, rounded up to a whole second (status timestamps hold whole seconds).

        The schedule's wait, shortened to a third of the time left before `not_after` (the served
        certificate's expiry; never below `first`), then the later of that and Retry-After."""
        wait = self.delay(failed_attempts)
        if not_after is not None and not_after > last_failure:
            wait = min(wait, max((not_after - last_failure) / ATTEMPTS_BEFORE_EXPIRY, self.first))
        until = last_failure + wait
        if retry_after is not None:
            until = max(until, min(retry_after, last_failure + MAX_RETRY_AFTER))
        whole = until.replace(microsecond=0)
        return whole if whole == until else whole + timedelta(seconds=1)
