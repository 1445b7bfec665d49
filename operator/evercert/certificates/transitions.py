"""Pure: (the status, what the look found, what happened, now) -> the status patch, the Event, the next look.

The loop only applies what these return, so every transition is tested as plain code."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import conditions
from ..api.certificate import IssuerRef
from ..conditions import timestamp
from ..core import constants, reasons
from ..core.errors import EvercertError, InvalidSpec
from ..core.retry import RetryPolicy
from . import fallback
from . import status as fields
from .look import Look
from .status import CertificateStatus

# Errors that only a change can cure still get a slow look now and then (e.g. a foreign Secret deleted).
RECHECK_AFTER_USER_ERROR = datetime.timedelta(minutes=10)


@dataclass(frozen=True)
class Event:
    type: str
    reason: str
    message: str


@dataclass(frozen=True)
class Transition:
    patch: dict[str, Any] = field(default_factory=dict)  # empty: nothing to write
    event: Event | None = None
    wake: datetime.datetime | None = None  # None: look again only on a change


def ready(status: CertificateStatus, look: Look, now: datetime.datetime) -> Transition:
    """The Secret holds a good certificate: status in line with it (after a restart too), attempts ended."""
    assert look.served is not None and look.served.info is not None
    renew_at = look.renew_at or now
    desired = _serving(status, look, renew_at, now)
    if status.attempt_pending:
        desired.update(fields.cleared_attempt_fields())
    return Transition(desired if _differs(status, desired) else {}, None, _next_look(look, renew_at))


def finished_before_crash(status: CertificateStatus, look: Look) -> bool:
    """An order's certificate reached the Secret just before a crash: report it as issued."""
    served = look.served.info if look.served else None
    return status.order is not None and served is not None and status.serial != served.serial_hex


def issuing(status: CertificateStatus, look: Look, now: datetime.datetime) -> Transition:
    message = reasons.issuing_message(look.reason)
    reason = look.reason or reasons.ISSUING_EVENT
    conds = conditions.with_condition(
        status.conditions, reasons.ISSUING, True, reason, message, look.spec.generation, now
    )
    if look.reason not in reasons.STILL_SERVING:
        conds = conditions.with_condition(
            conds, reasons.READY, False, reason, message, look.spec.generation, now
        )
    if look.reason == reasons.RENEWED_OUTSIDE_WINDOW:  # the user's windows are overruled: say so loudly
        return Transition(fields.with_conditions(conds), Event("Warning", look.reason, message))
    return Transition(fields.with_conditions(conds), Event("Normal", reasons.ISSUING_EVENT, message))


def waiting_for_dns(
    status: CertificateStatus, look: Look, message: str, now: datetime.datetime
) -> Transition:
    """DNS-01 values are not served by every authoritative nameserver yet: Issuing says which (no Event)."""
    conds = issuing(status, look, now).patch[fields.CONDITIONS]
    reason = reasons.DNS01_PROPAGATION_PENDING
    conds = conditions.with_condition(
        conds, reasons.ISSUING, True, reason, message, look.spec.generation, now
    )
    return Transition(fields.with_conditions(conds))


def waiting_for_quota(
    status: CertificateStatus, look: Look, until: datetime.datetime, message: str, now: datetime.datetime
) -> Transition:
    """A new order waits for the account's order quota: say so (Issuing, and Ready unless a good
    certificate is still served), one Event when the wait begins, and look again at `until`."""
    reason, generation = reasons.WAITING_FOR_ORDER_QUOTA, look.spec.generation
    began = (status.condition(reasons.ISSUING) or {}).get("reason") != reason
    conds = conditions.with_condition(
        status.conditions, reasons.ISSUING, True, reason, message, generation, now
    )
    if look.served is None or look.reason not in reasons.STILL_SERVING:
        conds = conditions.with_condition(conds, reasons.READY, False, reason, message, generation, now)
    patch = fields.with_conditions(conds)
    event = Event("Normal", reason, message) if began else None
    return Transition(patch if _differs(status, patch) else {}, event, until)


def issued(
    status: CertificateStatus, look: Look, now: datetime.datetime, renew_request: str | None = None
) -> Transition:
    """A new certificate is in the Secret (`look` is of it): Ready, a new revision, an Event."""
    assert look.served is not None and look.served.info is not None
    renew_at = look.renew_at or now
    desired = _serving(status, look, renew_at, now)
    desired[fields.REVISION] = status.revision + 1
    desired.update(fields.cleared_attempt_fields())
    if renew_request:
        desired[fields.LAST_RENEW_REQUEST] = renew_request
    message = (
        f"certificate issued, serial {look.served.info.serial_hex}, "
        f"valid until {desired[fields.NOT_AFTER]}, renewal at {desired[fields.RENEWAL_TIME]}"
    )
    return Transition(desired, Event("Normal", reasons.ISSUED, message), _next_look(look, renew_at))


def failed(
    status: CertificateStatus,
    error: EvercertError,
    now: datetime.datetime,
    generation: int,
    retry: RetryPolicy,
    look: Look | None = None,
    issuer: IssuerRef | None = None,
) -> Transition:
    """Ready=False (unless a good certificate is still served), an Event, and when to try again.

    `issuer` is the one the failed attempt went to: its failures decide when to fall back, and an
    attempt that goes to the next issuer waits only the schedule's first step."""
    reason, message = error.reason, error.message
    patch: dict[str, Any] = {}
    wake: datetime.datetime | None
    if error.failed_attempt:
        attempts = status.failed_attempts + 1
        served = look.served.info if look is not None and look.served is not None else None
        record = None
        if look is not None and issuer is not None and look.spec.fallback_issuer_refs:
            may_fall_back = fallback.may_fall_back(look)
            record = fallback.after_failure(look.spec, status.attempt_issuer, issuer, may_fall_back, now)
        if record is not None and record.failed_attempts == 0:
            # The next attempt goes to another CA, which this Certificate has not asked yet.
            wake = retry.next_attempt(now, 1, None, served.not_after if served else None)
            message = f"{message}; the next attempt goes to {record.ref.kind} {record.ref.name!r}"
        else:
            wake = retry.next_attempt(now, attempts, error.retry_after, served.not_after if served else None)
        patch = {
            fields.FAILED_ATTEMPTS: attempts,
            fields.LAST_FAILURE: timestamp(now),
            fields.NEXT_ATTEMPT: timestamp(wake),
        }
        if record is not None:
            patch[fields.ATTEMPT_ISSUER] = record.to_status()
        if not error.transient:
            patch[fields.ORDER] = None
        message = f"{message} (attempt {attempts}; next attempt at {patch[fields.NEXT_ATTEMPT]})"
    else:
        wake = None if isinstance(error, InvalidSpec) else now + RECHECK_AFTER_USER_ERROR
    still_serving = (
        look is not None and look.served is not None and look.reason in (None, *reasons.STILL_SERVING)
    )
    conds = list(status.conditions)
    previous_ready = conditions.find(conds, reasons.READY)
    if not still_serving:
        conds = conditions.with_condition(conds, reasons.READY, False, reason, message, generation, now)
    conds = (
        conditions.with_condition(conds, reasons.ISSUING, False, reason, message, generation, now)
        if error.failed_attempt
        else conditions.without_condition(conds, reasons.ISSUING)
    )
    patch.update(fields.with_conditions(conds))
    ready_changed = not conditions.same_condition(previous_ready, conditions.find(conds, reasons.READY))
    event = Event("Warning", reason, message) if error.failed_attempt or ready_changed else None
    return Transition(patch if _differs(status, patch) else {}, event, wake)


def _serving(
    status: CertificateStatus, look: Look, renew_at: datetime.datetime, now: datetime.datetime
) -> dict[str, Any]:
    """Status fields for a Secret that holds a good certificate (and the CA's window for it, if asked)."""
    assert look.served is not None and look.served.info is not None
    info = look.served.info
    conds = conditions.with_condition(
        status.conditions,
        reasons.READY,
        True,
        reasons.UP_TO_DATE,
        reasons.READY_MESSAGE,
        look.spec.generation,
        now,
    )
    desired: dict[str, Any] = {
        fields.CONDITIONS: conditions.without_condition(conds, reasons.ISSUING),
        fields.NOT_BEFORE: timestamp(info.not_before),
        fields.NOT_AFTER: timestamp(info.not_after),
        fields.RENEWAL_TIME: timestamp(renew_at),
        fields.SERIAL: info.serial_hex,
        fields.OBSERVED_GENERATION: look.spec.generation,
        **fields.issued_by_field(
            look.served.annotations.get(constants.ANNOTATION_ISSUER_NAME),
            look.served.annotations.get(constants.ANNOTATION_ISSUER_KIND),
        ),
    }
    if look.renewal_info is not None:
        desired[fields.RENEWAL_INFO] = look.renewal_info.to_status()
    return desired


def _next_look(look: Look, renew_at: datetime.datetime) -> datetime.datetime:
    """At the renewal time, or at the CA's next renewal-window check when that comes first."""
    next_check = look.renewal_info.next_check if look.renewal_info else None
    return min(renew_at, next_check) if next_check else renew_at


def _differs(status: CertificateStatus, desired: Mapping[str, Any]) -> bool:
    return any(status.fields.get(k) != v for k, v in desired.items())
