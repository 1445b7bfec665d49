"""Pure renewal policy: when to renew a certificate (the retry after a failure is core/retry.py's)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

# Let's Encrypt's advice: renew with 1/3 of the lifetime left, 1/2 for lifetimes under 10 days.
SHORT_LIFETIME = timedelta(days=10)
MAX_JITTER = timedelta(hours=1)
JITTER_SHARE_OF_LIFETIME = 0.01


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
