"""One pass over a Certificate: read what is there once, look, issue when needed, apply the transition.

What to write and say is decided by the pure functions of transitions.py; this module only reads,
acts and applies. It returns when to look again."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import aiohttp
from kubernetes_asyncio.client.exceptions import ApiException

from .. import constants, reasons
from ..api.certificate import CertificateSpec, IssuerRef, parse_certificate
from ..conditions import parse_timestamp
from ..errors import AcmeFailure, EvercertError, InvalidSpec, WaitingForOrderQuota
from ..issuers.lookup import IssuerLookup, resolve_issuer
from ..issuers.session import AcmeSession
from ..kube.client import patch_certificate_status, read_secret
from . import fallback, issuing, ordering, quota, renewal_info, reporting, transitions
from .look import Look, look_at_issued, take_look
from .status import CertificateStatus, StoredOrder, order_field, parse_status
from .tls_secret import SecretContents, adopt, check_owner, check_ownership, read_contents
from .trigger import issued_by

if TYPE_CHECKING:
    from ..runtime import Runtime

log = logging.getLogger(__name__)
RETRY_AFTER_API_ERROR = datetime.timedelta(seconds=10)


def pending_renew_request(body: Mapping[str, Any]) -> str | None:
    """The value of the renew-requested annotation when it has not been acted on yet."""
    annotations = (body.get("metadata") or {}).get("annotations") or {}
    requested = annotations.get(constants.ANNOTATION_RENEW_REQUESTED)
    last = (body.get("status") or {}).get("lastRenewRequest")
    return requested if requested and requested != last else None


def skips_the_wait(renew_request: str | None, status: CertificateStatus) -> bool:
    """`evercert renew` is the administrator's early retry: a request made after the last failed
    attempt skips that attempt's wait (once: the next failure is later than the request)."""
    if renew_request is None:
        return False
    last = status.last_failure_time
    if last is None:
        return True
    try:
        requested = parse_timestamp(renew_request)
    except ValueError:  # not a time (the annotation is free text): it cannot be newer
        return False
    return requested is not None and requested > last


ServedLookup = Callable[[str, str], SecretContents | None]


async def reconcile(
    runtime: Runtime, body: Mapping[str, Any], lookup: IssuerLookup, served_lookup: ServedLookup
) -> datetime.datetime | None:
    """Look once, act if needed; returns when to look again (None: only on a change).

    The look uses what the watch of evercert's Secrets holds (`served_lookup`): a Certificate with
    nothing to do costs no request. Only an issuance reads the Secret, once."""
    status = parse_status(body.get("status"))
    meta = body.get("metadata") or {}
    generation = int(meta.get("generation") or 0)
    try:
        spec = parse_certificate(body)
    except InvalidSpec as exc:
        transition = transitions.failed(status, exc, runtime.clock.now(), generation, runtime.retry)
        await apply(runtime, body, transition)
        return transition.wake
    look: Look | None = None
    session: AcmeSession | None = None
    attempt_ref: IssuerRef | None = None
    try:
        served = served_lookup(spec.namespace, spec.secret_name)
        if served is not None:
            check_owner(served.annotations, spec)
        renew_request = pending_renew_request(body)
        # The look (ARI) asks the issuer of the served certificate; the attempt may go to a fallback.
        look_ref = issued_by(spec, served) if served is not None else None
        issuer_error, session = _session(runtime, spec, lookup, look_ref or spec.issuer_ref)
        now = runtime.clock.now()
        look = await take_look(spec, served, status, session, now, renew_request is not None)
        if look.reason is None:
            return await _serve(runtime, body, status, look)
        attempt_ref = fallback.issuer_for_attempt(spec, status.attempt_issuer, look)
        if attempt_ref != (look_ref or spec.issuer_ref):
            issuer_error, session = _session(runtime, spec, lookup, attempt_ref)
        if session is None:
            assert issuer_error is not None
            raise issuer_error
        waiting = status.next_attempt_time is not None and status.next_attempt_time > now
        if waiting and not skips_the_wait(renew_request, status):
            return status.next_attempt_time
        held = runtime.failed_validations.held_until(session.account_uri, spec.identifiers, now)
        if held is not None:
            log.info(
                "attempt held back: a name failed validation too often in the last hour",
                extra={"certificate": f"{spec.namespace}/{spec.name}", "until": held.isoformat()},
            )
            return held
        secret = await read_secret(runtime.kube, spec.namespace, spec.secret_name)
        if secret is not None:
            check_ownership(secret, spec)
        if secret is None or (served is None or served.resource_version != _resource_version(secret)):
            # The watch was behind the Secret: look again at what it really holds.
            look = await take_look(
                spec,
                read_contents(secret) if secret else None,
                status,
                session,
                now,
                renew_request is not None,
            )
            # A Secret the watch did not hold (one cert-manager wrote, say): its issuer, for `replaces`.
            look_ref = issued_by(spec, look.served) if look.served is not None else look_ref
            if look.reason is None:
                if secret is not None and look_ref and await adopt(runtime.kube, spec, secret, look_ref):
                    runtime.events.post(body, "Normal", reasons.ADOPTED, reasons.ADOPTED_MESSAGE)
                return await _serve(runtime, body, status, look)
        order_quota = quota.order_quota(runtime, session, body, look)
        if status.order is None and renewal_info.replaces_id(look.renewal_info, look.served) is None:
            # A new order is coming: wait for its token without holding a worker or a slot.
            until = order_quota.wait_until()
            if until is not None:
                raise WaitingForOrderQuota(quota.waiting_message(session, until), retry_after=until)
        async with runtime.slots.hold():
            await apply(runtime, body, transitions.issuing(status, look, runtime.clock.now()))
            try:
                written = await _issue(
                    runtime, session, spec, status, secret, look, attempt_ref == look_ref, order_quota
                )
            finally:
                order_quota.leave()
        # The CA's window for the new certificate (ARI) is asked now, over the session already open.
        issued_look = await take_look(spec, written, status, session, runtime.clock.now())
        issued = transitions.issued(status, issued_look, runtime.clock.now(), renew_request)
        await apply(runtime, body, issued)
        reporting.issuance_ended(True, look.reason or reasons.ISSUED)
        return issued.wake
    except WaitingForOrderQuota as exc:
        assert look is not None and exc.retry_after is not None
        waiting = transitions.waiting_for_quota(
            status, look, exc.retry_after, exc.message, runtime.clock.now()
        )
        await apply(runtime, body, waiting)
        return waiting.wake
    except EvercertError as exc:
        if exc.reason == reasons.ACME_VALIDATION_FAILED and session is not None:
            names = (exc.names if isinstance(exc, AcmeFailure) else ()) or spec.identifiers
            runtime.failed_validations.record(session.account_uri, names, runtime.clock.now())
        quota.pause_on_rate_limit(runtime, session, exc)
        transition = transitions.failed(
            status, exc, runtime.clock.now(), generation, runtime.retry, look, attempt_ref
        )
        await apply(runtime, body, transition)
        if exc.failed_attempt:
            reporting.issuance_ended(False, exc.reason)
        if transition.event is not None:
            where = f"{spec.namespace}/{spec.name}"
            log.warning(
                "certificate not issued",
                extra={"certificate": where, "reason": exc.reason, "detail": exc.message},
            )
        return transition.wake
    except (ApiException, aiohttp.ClientError, TimeoutError) as exc:
        # An apiserver that is away (restarting, say) must not stall this Certificate for long.
        log.warning(
            "Kubernetes API error; retrying soon",
            extra={"certificate": f"{spec.namespace}/{spec.name}", "error": _api_error(exc)},
        )
        return runtime.clock.now() + RETRY_AFTER_API_ERROR


def _session(
    runtime: Runtime, spec: CertificateSpec, lookup: IssuerLookup, ref: IssuerRef
) -> tuple[EvercertError | None, AcmeSession | None]:
    """An ACME session with the issuer `ref`, or why it cannot be used now."""
    try:
        issuer, account_uri = resolve_issuer(spec, lookup, ref)
    except EvercertError as exc:
        return exc, None
    return None, AcmeSession(runtime, issuer, account_uri)


def _resource_version(secret: Mapping[str, Any]) -> str | None:
    return (secret.get("metadata") or {}).get("resourceVersion")


async def _serve(
    runtime: Runtime, body: Mapping[str, Any], status: CertificateStatus, look: Look
) -> datetime.datetime | None:
    """A good certificate is served: clean what an attempt left, then bring status in line."""
    if status.attempt_pending:
        await issuing.remove_leftovers(runtime, look.spec)
        if transitions.finished_before_crash(status, look):
            assert look.served is not None
            issued = transitions.issued(status, look_at_issued(look.spec, look.served), runtime.clock.now())
            await apply(runtime, body, issued)
            return issued.wake
    transition = transitions.ready(status, look, runtime.clock.now())
    await apply(runtime, body, transition)
    return transition.wake


async def _issue(
    runtime: Runtime,
    session: AcmeSession,
    spec: CertificateSpec,
    status: CertificateStatus,
    secret: Mapping[str, Any] | None,
    look: Look,
    same_issuer: bool,
    order_quota: quota.OrderQuota,
) -> SecretContents:
    def write_order(order: StoredOrder) -> None:  # blocking: from the ACME thread (see OrderRecorder)
        # Not through the operator's busy loop: see kube/side_writes.py.
        runtime.kube.side.run(
            lambda kube: patch_certificate_status(kube, spec.namespace, spec.name, order_field(order))
        )

    async def wrote_order(order: StoredOrder, written: bool) -> None:
        if written:
            runtime.own_writes.wrote(spec.namespace, spec.name, order_field(order))
        else:
            await _patch_status(runtime, spec.namespace, spec.name, order_field(order))

    recorder = ordering.OrderRecorder(write_order, wrote_order)

    # ARI's `replaces` only means something to the CA that issued the certificate replaced.
    replaces = renewal_info.replaces_id(look.renewal_info, look.served) if same_issuer else None
    try:
        return await issuing.issue(
            runtime, session, spec, status.order, secret, recorder, replaces, order_quota
        )
    except EvercertError as exc:
        if exc.reason != reasons.ACME_ACCOUNT_UNKNOWN:
            raise
        await session.register_again()
        return await issuing.issue(
            runtime, session, spec, status.order, secret, recorder, replaces, order_quota
        )


async def apply(runtime: Runtime, body: Mapping[str, Any], transition: transitions.Transition) -> None:
    meta = body.get("metadata") or {}
    if transition.patch:
        await _patch_status(runtime, meta["namespace"], meta["name"], transition.patch)
    if transition.event is not None:
        event = transition.event
        runtime.events.post(body, event.type, event.reason, event.message)
    reporting.observe(body, transition.patch)


async def _patch_status(runtime: Runtime, namespace: str, name: str, patch: Mapping[str, Any]) -> None:
    """Merge-patch the status, remembered until the body shows it (see own_writes.py)."""
    await patch_certificate_status(runtime.kube, namespace, name, patch)
    runtime.own_writes.wrote(namespace, name, patch)


def _api_error(exc: Exception) -> str:
    return (
        f"HTTP {exc.status} {exc.reason}" if isinstance(exc, ApiException) else f"{type(exc).__name__}: {exc}"
    )
