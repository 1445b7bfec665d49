"""The life of one Certificate: look, issue when needed, report, and sleep until the next renewal.

Waiting costs nothing: the loop sleeps on an in-memory event until the renewal time, the next
retry, or a change (spec, Issuer, managed Secret) wakes it. The renewal time is derived from the
Secret's certificate, so it survives restarts.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import kopf
from kubernetes_asyncio.client.exceptions import ApiException

from . import accounts, ari, conditions, constants, issuance, renewal
from .api.certificate import CertificateSpec, parse_certificate
from .api.issuer import IssuerKey, IssuerSpec, parse_issuer
from .errors import AcmeFailure, EvercertError, InvalidSpec, IssuerNotFound, IssuerNotReady
from .kube.client import read_secret
from .reasons import ACME_ACCOUNT_UNKNOWN as ACCOUNT_UNKNOWN
from .runtime import Runtime
from .secrets import SecretContents, check_ownership, read_contents
from .triggers import certificate_renewal_time, issuance_reason

log = logging.getLogger(__name__)

IssuerLookup = Callable[[IssuerKey], Mapping[str, Any] | None]
# Errors that only a change can cure still get a slow look now and then (e.g. a foreign Secret deleted).
RECHECK_AFTER_USER_ERROR = datetime.timedelta(minutes=10)
RETRY_AFTER_API_ERROR = datetime.timedelta(seconds=10)
READY_WHILE_RENEWING = (None, "Renewing", "ManuallyTriggered")
READY_MESSAGE = "the certificate is up to date and has not expired"


@dataclass(frozen=True)
class Look:
    """What one reconcile found out, for reporting."""

    spec: CertificateSpec
    contents: SecretContents | None
    reason: str | None
    renew_at: datetime.datetime | None = None
    renewal_info: Mapping[str, Any] | None = None


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def resolve_issuer(spec: CertificateSpec, lookup: IssuerLookup) -> tuple[IssuerSpec, str]:
    """The referenced issuer and its account URI; raise when it is missing or not ready."""
    key = spec.issuer_key()
    body = lookup(key)
    where = f" in namespace {spec.namespace!r}" if key.namespace else ""
    if body is None:
        raise IssuerNotFound(f"{key.kind} {key.name!r} not found{where}")
    try:
        issuer = parse_issuer(body, key.kind)
    except InvalidSpec as exc:
        raise IssuerNotReady(f"{key.kind} {key.name!r} is invalid: {exc.message}") from None
    ready = conditions.find((body.get("status") or {}).get("conditions"), "Ready")
    uri = ((body.get("status") or {}).get("acme") or {}).get("uri")
    if not ready or ready.get("status") != "True" or not uri:
        detail = (ready or {}).get("message") or "its ACME account is not registered yet"
        raise IssuerNotReady(f"{key.kind} {key.name!r} is not ready: {detail}")
    return issuer, uri


async def reconcile(
    runtime: Runtime, body: Mapping[str, Any], lookup: IssuerLookup
) -> datetime.datetime | None:
    """Look once, act if needed; returns when to look again (None: only on a change)."""
    status: Mapping[str, Any] = body.get("status") or {}
    now = utcnow()
    try:
        spec = parse_certificate(body)
    except InvalidSpec as exc:
        await report_failure(runtime, body, exc, now, attempt_failed=False)
        return None
    look: Look | None = None
    try:
        secret = await read_secret(runtime.kube, spec.namespace, spec.secret_name)
        if secret is not None:
            check_ownership(secret, spec)
        contents = read_contents(secret) if secret is not None else None
        renew_request = pending_renew_request(body)
        look = await take_look(runtime, spec, contents, status, lookup, now, renew_request is not None)
        if look.reason is None:
            return await report_ready(runtime, body, look, now)
        issuer, account_uri = resolve_issuer(spec, lookup)
        next_attempt = conditions.parse_timestamp(status.get("nextAttemptTime"))
        if next_attempt and next_attempt > now:
            return next_attempt
        await report_issuing(runtime, body, look, now)
        replaces = ari.replaces_id(look.renewal_info, contents)
        try:
            await issuance.issue(runtime, spec, issuer, account_uri, status.get("order"), secret, replaces)
        except AcmeFailure as exc:
            if exc.reason != ACCOUNT_UNKNOWN:
                raise
            account_uri = await accounts.register_again(runtime, issuer, account_uri)
            await issuance.issue(runtime, spec, issuer, account_uri, status.get("order"), secret, replaces)
        issued = read_contents(await read_secret(runtime.kube, spec.namespace, spec.secret_name) or {})
        return await report_issued(runtime, body, Look(spec, issued, None), utcnow(), renew_request)
    except (AcmeFailure, EvercertError) as exc:
        attempted = isinstance(exc, AcmeFailure) or exc.failed_attempt
        return await report_failure(runtime, body, exc, utcnow(), attempt_failed=attempted, look=look)
    except (ApiException, aiohttp.ClientError, TimeoutError) as exc:
        # Left to kopf, an apiserver that is away (restarting, say) would stall this daemon for a minute.
        log.warning(
            "Kubernetes API error; retrying soon",
            extra={"certificate": f"{spec.namespace}/{spec.name}", "error": _api_error(exc)},
        )
        return utcnow() + RETRY_AFTER_API_ERROR


def _api_error(exc: Exception) -> str:
    return (
        f"HTTP {exc.status} {exc.reason}" if isinstance(exc, ApiException) else f"{type(exc).__name__}: {exc}"
    )


async def take_look(
    runtime: Runtime,
    spec: CertificateSpec,
    contents: SecretContents | None,
    status: Mapping[str, Any],
    lookup: IssuerLookup,
    now: datetime.datetime,
    renew_requested: bool = False,
) -> Look:
    """Why (if at all) to issue now; for a good certificate, when to renew it (the CA's ARI window wins)."""
    reason = issuance_reason(spec, contents, now, renew_requested=renew_requested)
    if renew_requested:
        return Look(spec, contents, reason)
    if reason not in (None, "Renewing") or contents is None or contents.info is None:
        return Look(spec, contents, reason)
    try:
        issuer, account_uri = resolve_issuer(spec, lookup)
    except EvercertError:
        return Look(spec, contents, reason, certificate_renewal_time(spec, contents))
    record = ari.stored_window(status.get("renewalInfo"), contents.info.serial_hex, now)
    if record is None:
        record = await ari.fetch_record(runtime, issuer, account_uri, contents, now)
    seed = f"{spec.namespace}/{spec.name}/{contents.info.serial_hex}"
    suggested = ari.renewal_from_record(record, seed)
    renew_at = (
        min(suggested, contents.info.not_after) if suggested else certificate_renewal_time(spec, contents)
    )
    return Look(spec, contents, issuance_reason(spec, contents, now, renew_at), renew_at, record)


async def report_ready(
    runtime: Runtime, body: Mapping[str, Any], look: Look, now: datetime.datetime
) -> datetime.datetime:
    """Bring status in line with a good Secret (after a restart too) and clean what an attempt left."""
    assert look.contents is not None and look.contents.info is not None
    status: Mapping[str, Any] = body.get("status") or {}
    renew_at = look.renew_at or certificate_renewal_time(look.spec, look.contents)
    desired = ready_status(status, look, renew_at, now)
    if look.renewal_info is not None:
        desired["renewalInfo"] = dict(look.renewal_info)
    if status.get("order") or status.get("nextAttemptTime"):
        await issuance.remove_leftovers(runtime, look.spec)
        if status.get("order") and status.get("serialNumber") != look.contents.info.serial_hex:
            # The order's certificate reached the Secret just before a crash: finish reporting it.
            return await report_issued(runtime, body, look, now)
        desired.update(
            {"order": None, "nextAttemptTime": None, "failedIssuanceAttempts": None, "lastFailureTime": None}
        )
    if _differs(status, desired):
        await runtime.patch_status(look.spec.namespace, look.spec.name, desired)
    next_check = conditions.parse_timestamp((look.renewal_info or {}).get("nextCheck"))
    return min(renew_at, next_check) if next_check else renew_at


def ready_status(
    status: Mapping[str, Any],
    look: Look,
    renew_at: datetime.datetime,
    now: datetime.datetime,
) -> dict[str, Any]:
    """Status fields for a Secret that holds a good certificate."""
    assert look.contents is not None and look.contents.info is not None
    info = look.contents.info
    conds = conditions.with_condition(
        status.get("conditions"), "Ready", True, "Ready", READY_MESSAGE, look.spec.generation, now
    )
    return {
        "conditions": conditions.without_condition(conds, "Issuing"),
        "notBefore": conditions.timestamp(info.not_before),
        "notAfter": conditions.timestamp(info.not_after),
        "renewalTime": conditions.timestamp(renew_at),
        "serialNumber": info.serial_hex,
        "observedGeneration": look.spec.generation,
    }


async def report_issuing(
    runtime: Runtime, body: Mapping[str, Any], look: Look, now: datetime.datetime
) -> None:
    status: Mapping[str, Any] = body.get("status") or {}
    message = f"issuing a certificate: {_REASON_TEXT.get(look.reason or '', look.reason)}"
    conds = conditions.with_condition(
        status.get("conditions"),
        "Issuing",
        True,
        look.reason or "Issuing",
        message,
        look.spec.generation,
        now,
    )
    if look.reason not in READY_WHILE_RENEWING:
        conds = conditions.with_condition(
            conds, "Ready", False, look.reason or "Issuing", message, look.spec.generation, now
        )
    await runtime.patch_status(look.spec.namespace, look.spec.name, {"conditions": conds})
    kopf.event(dict(body), type="Normal", reason="Issuing", message=message)


def pending_renew_request(body: Mapping[str, Any]) -> str | None:
    """The value of the renew-requested annotation when it has not been acted on yet."""
    annotations = (body.get("metadata") or {}).get("annotations") or {}
    requested = annotations.get(constants.ANNOTATION_RENEW_REQUESTED)
    return (
        requested if requested and requested != (body.get("status") or {}).get("lastRenewRequest") else None
    )


async def report_issued(
    runtime: Runtime,
    body: Mapping[str, Any],
    look: Look,
    now: datetime.datetime,
    renew_request: str | None = None,
) -> datetime.datetime:
    assert look.contents is not None and look.contents.info is not None
    status: Mapping[str, Any] = body.get("status") or {}
    renew_at = certificate_renewal_time(look.spec, look.contents)
    desired = ready_status(status, look, renew_at, now)
    desired.update(
        {
            "revision": int(status.get("revision") or 0) + 1,
            "order": None,
            "nextAttemptTime": None,
            "failedIssuanceAttempts": None,
            "lastFailureTime": None,
        }
    )
    if renew_request:
        desired["lastRenewRequest"] = renew_request
    await runtime.patch_status(look.spec.namespace, look.spec.name, desired)
    kopf.event(
        dict(body),
        type="Normal",
        reason="Issued",
        message=f"certificate issued, serial {look.contents.info.serial_hex}, "
        f"valid until {desired['notAfter']}, renewal at {desired['renewalTime']}",
    )
    return renew_at


async def report_failure(
    runtime: Runtime,
    body: Mapping[str, Any],
    error: AcmeFailure | EvercertError,
    now: datetime.datetime,
    *,
    attempt_failed: bool,
    look: Look | None = None,
) -> datetime.datetime | None:
    """Ready=False (unless a good certificate is still served), an Event, and the next attempt's time."""
    status: Mapping[str, Any] = body.get("status") or {}
    meta = body.get("metadata") or {}
    generation = int(meta.get("generation") or 0)
    reason, message = error.reason, error.message
    patch: dict[str, Any] = {}
    wake: datetime.datetime | None
    if attempt_failed:
        attempts = int(status.get("failedIssuanceAttempts") or 0) + 1
        retry_until = getattr(error, "retry_after", None)
        wake = renewal.next_attempt_time(now, attempts, retry_until, runtime.settings.first_backoff)
        patch.update(
            {
                "failedIssuanceAttempts": attempts,
                "lastFailureTime": conditions.timestamp(now),
                "nextAttemptTime": conditions.timestamp(wake) if wake else None,
            }
        )
        if not getattr(error, "transient", False):
            patch["order"] = None
        message = f"{message} (attempt {attempts}; next attempt at {patch['nextAttemptTime']})"
    elif isinstance(error, InvalidSpec):
        wake = None
    else:
        wake = now + RECHECK_AFTER_USER_ERROR
    still_good = look is not None and look.reason in READY_WHILE_RENEWING and look.contents is not None
    conds = list(status.get("conditions") or [])
    previous_ready = conditions.find(conds, "Ready")
    if not still_good:
        conds = conditions.with_condition(conds, "Ready", False, reason, message, generation, now)
    conds = (
        conditions.with_condition(conds, "Issuing", False, reason, message, generation, now)
        if attempt_failed
        else conditions.without_condition(conds, "Issuing")
    )
    patch["conditions"] = conds
    if _differs(status, patch):
        await runtime.patch_status(meta["namespace"], meta["name"], patch)
    if attempt_failed or not conditions.same_condition(previous_ready, conditions.find(conds, "Ready")):
        kopf.event(dict(body), type="Warning", reason=reason, message=message)
        log.warning(
            "certificate not issued",
            extra={"certificate": f"{meta['namespace']}/{meta['name']}", "reason": reason, "detail": message},
        )
    return wake


def _differs(status: Mapping[str, Any], desired: Mapping[str, Any]) -> bool:
    return any(status.get(k) != v for k, v in desired.items())


_REASON_TEXT = {
    "DoesNotExist": "the Secret does not exist yet",
    "MissingData": "the Secret lacks a readable certificate or key",
    "InvalidKeyPair": "the Secret's key does not match its certificate",
    "SecretMismatch": "the Secret's certificate does not cover the requested names",
    "IncorrectIssuer": "the certificate came from another issuer",
    "PrivateKeyMismatch": "the key does not match the privateKey settings",
    "ManuallyTriggered": "a renewal was requested",
    "Expired": "the certificate has expired",
    "Renewing": "the renewal time has come",
}


async def sleep_until(wake_at: datetime.datetime | None, wakeup: asyncio.Event) -> None:
    """Sleep until `wake_at` or the wake-up event, whichever comes first.

    One timer and no extra task: a thousand sleeping Certificates cost little. A stopping daemon is
    cancelled by kopf (no cancellation backoff is set), which ends this sleep too."""
    timer = None
    if wake_at is not None:
        delay = max(0.0, (wake_at - utcnow()).total_seconds())
        timer = asyncio.get_running_loop().call_later(delay, wakeup.set)
    try:
        await wakeup.wait()
    finally:
        if timer is not None:
            timer.cancel()
