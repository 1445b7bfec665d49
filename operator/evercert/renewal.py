"""Pure renewal policy: when to renew a certificate, and how long to wait after a failure."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

# Let's Encrypt's advice: renew with 1/3 of the lifetime left, 1/2 for lifetimes under 10 days.
SHORT_LIFETIME = timedelta(days=10)
MAX_JITTER = timedelta(hours=1)
JITTER_SHARE_OF_LIFETIME = 0.01

BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=4)
# Any first backoff of a second or more, doubled 14 times, exceeds BACKOFF_MAX; capping the exponent
# keeps huge counts cheap.
_BACKOFF_MAX_DOUBLINGS = 14

MAX_RETRY_AFTER = timedelta(hours=24)


def renewal_time(
    not_before: datetime,
    not_after: datetime,
    *,
    renew_before: timedelta | None = None,
    renew_before_percentage: int | None = None,
    jitter_seed: str = "",
) -> datetime:
    """When to renew: renewBefore, else renewBeforePercentage, else the default share of the lifetime.

    A non-empty jitter_seed moves the time earlier by a stable amount of at most 1% of the lifetime
    (and at most an hour), so many certificates issued together do not all renew at once.
    """
    lifetime = not_after - not_before
    jitter = min(lifetime * JITTER_SHARE_OF_LIFETIME, MAX_JITTER) * _seed_fraction(jitter_seed)
    renew_at = not_after - _renew_before(lifetime, renew_before, renew_before_percentage) - jitter
    return max(renew_at, not_before)


def ari_renewal_time(window_start: datetime, window_end: datetime, jitter_seed: str) -> datetime:
    """A stable point inside an ARI suggested window (RFC 9773), chosen by jitter_seed."""
    if window_end <= window_start:
        return window_start
    return window_start + (window_end - window_start) * _seed_fraction(jitter_seed)


def backoff_delay(failed_attempts: int, first: timedelta = BACKOFF_FIRST) -> timedelta:
    """Wait after the n-th consecutive failure: none before any, `first` after the first, doubling to 4 h."""
    if failed_attempts <= 0:
        return timedelta(0)
    doublings = min(failed_attempts - 1, _BACKOFF_MAX_DOUBLINGS)
    return min(first * 2**doublings, BACKOFF_MAX)


def retry_after_delay(header_value: str | None, now: datetime) -> timedelta | None:
    """The wait an HTTP Retry-After header asks for (seconds or HTTP-date), clamped to [0, 24 h].

    None when the header is absent or unreadable.
    """
    if header_value is None:
        return None
    value = header_value.strip()
    if value.isascii() and value.isdigit():
        delay = timedelta(seconds=min(int(value), int(MAX_RETRY_AFTER.total_seconds())))
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        # An HTTP-date is always GMT; a "-0000" zone parses as naive but means UTC as well.
        delay = (when if when.tzinfo else when.replace(tzinfo=UTC)) - now
    return min(max(delay, timedelta(0)), MAX_RETRY_AFTER)


def next_attempt_time(
    last_failure_time: datetime | None,
    failed_attempts: int,
    retry_after_until: datetime | None = None,
    first_backoff: timedelta = BACKOFF_FIRST,
) -> datetime | None:
    """The earliest time to try again: the later of the backoff since the last failure and Retry-After.

    Rounded up to a whole second, as status timestamps hold whole seconds: a stored time is never early.
    Retry-After is honoured for at most a day, so that a wrong header cannot stop renewals for good.
    """
    if retry_after_until is not None and last_failure_time is not None:
        retry_after_until = min(retry_after_until, last_failure_time + MAX_RETRY_AFTER)
    backoff_until = (
        None
        if last_failure_time is None
        else last_failure_time + backoff_delay(failed_attempts, first_backoff)
    )
    until = max((t for t in (backoff_until, retry_after_until) if t is not None), default=None)
    return None if until is None else _whole_second_up(until)


def _whole_second_up(moment: datetime) -> datetime:
    whole = moment.replace(microsecond=0)
    return whole if whole == moment else whole + timedelta(seconds=1)


def _renew_before(
    lifetime: timedelta, renew_before: timedelta | None, renew_before_percentage: int | None
) -> timedelta:
    if renew_before is None and renew_before_percentage is not None:
        renew_before = lifetime * renew_before_percentage / 100
    if renew_before is None:
        return lifetime / 2 if lifetime < SHORT_LIFETIME else lifetime / 3
    if renew_before >= lifetime:
        # As cert-manager does: a renewBefore longer than the lifetime would renew in a loop,
        # so fall back to renewing at 2/3 of the lifetime.
        return lifetime / 3
    return renew_before


def _seed_fraction(seed: str) -> float:
    """A stable number in [0, 1) derived from the seed; 0 for the empty seed."""
    if not seed:
        return 0.0
    digest = hashlib.sha256(seed.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
