"""Pure policy: which issuer an attempt goes to (spec.issuerRef, or one of spec.fallbackIssuerRefs).

The primary issuer is used until it has failed FALLBACK_AFTER_ATTEMPTS times, or for FALLBACK_AFTER,
while the served certificate is due for renewal (or there is none); then the next issuer in the list
gets the next attempt, and so on round the list. A success ends it: the next renewal starts again
with the primary."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from ..api.certificate import CertificateSpec, IssuerRef
from ..core import reasons
from .look import Look
from .status import AttemptIssuer

FALLBACK_AFTER_ATTEMPTS = 3
FALLBACK_AFTER = datetime.timedelta(hours=24)
# A certificate that is still good for a while is only replaced from its own issuer (a change of
# names, say, is not worth another CA); renewals, expired or missing certificates may fall back.
_MAY_FALL_BACK = (reasons.RENEWING, reasons.RENEWED_OUTSIDE_WINDOW, reasons.EXPIRED)


@dataclass(frozen=True)
class FallbackPolicy:
    after_attempts: int = FALLBACK_AFTER_ATTEMPTS
    after: datetime.timedelta = FALLBACK_AFTER


def may_fall_back(look: Look) -> bool:
    """The served certificate is due for renewal (or expired), or there is none."""
    return look.served is None or look.served.info is None or look.reason in _MAY_FALL_BACK


def issuer_for_attempt(spec: CertificateSpec, record: AttemptIssuer | None, look: Look) -> IssuerRef:
    """The issuer the next attempt goes to: the one the failures so far chose, else the primary."""
    if record is None or not may_fall_back(look):
        return spec.issuer_ref
    return record.ref if record.ref in spec.issuer_refs else spec.issuer_ref


def after_failure(
    spec: CertificateSpec,
    record: AttemptIssuer | None,
    used: IssuerRef,
    fall_back: bool,
    now: datetime.datetime,
    policy: FallbackPolicy = FallbackPolicy(),
) -> AttemptIssuer:
    """The record after an attempt with `used` failed: one more failure on it, or (its time or count
    being up, and falling back allowed) the next issuer in the list, with no failures yet."""
    if record is not None and record.ref == used:
        failed = AttemptIssuer(used, record.failed_attempts + 1, record.since)
    else:
        failed = AttemptIssuer(used, 1, now)
    refs = spec.issuer_refs
    used_up = failed.failed_attempts >= policy.after_attempts or now - failed.since >= policy.after
    if not fall_back or len(refs) < 2 or used not in refs or not used_up:
        return failed
    return AttemptIssuer(refs[(refs.index(used) + 1) % len(refs)], 0, now)
