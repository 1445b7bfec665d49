"""One pass over a Certificate: gather the facts, `decide` (decide.py), carry out the step.

What to do is decided by the pure functions of decide.py and what to write and say by those of
transitions.py; this module only reads, acts and applies. It returns when to look again."""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import aiohttp
from kubernetes_asyncio.client.exceptions import ApiException

from .. import reasons
from ..api.certificate import CertificateSpec, IssuerRef, parse_certificate
from ..errors import EvercertError, InvalidSpec, WaitingForOrderQuota
from ..issuers.lookup import IssuerLookup, resolve_issuer
from ..issuers.session import AcmeSession
from ..kube.client import patch_certificate_status, read_secret
from . import issuing, ordering, quota, renewal_info, reporting, transitions
from .decide import (
    AskQuota,
    AskRenewalInfo,
    Facts,
    Fail,
    Hold,
    Issue,
    IssuerState,
    QuotaAnswer,
    ReadSecret,
    SecretRead,
    Serve,
    Wait,
    WaitForQuota,
    after_api_error,
    after_error,
    decide,
    failed_validation_names,
)
from .look import Look, NeedsWindow, take_look
from .status import CertificateStatus, StoredOrder, order_field, parse_status, pending_renew_request
from .tls_secret import SecretContents, read_contents

if TYPE_CHECKING:
    from ..runtime import Runtime

log = logging.getLogger(__name__)

ServedLookup = Callable[[str, str], SecretContents | None]


async def reconcile(
    runtime: Runtime,
    body: Mapping[str, Any],
    lookup: IssuerLookup,
    served_lookup: ServedLookup,
) -> datetime.datetime | None:
    """Look once, act if needed; returns when to look again (None: only on a change).

    The look uses what the watch of evercert's Secrets holds (`served_lookup`): a Certificate with
    nothing to do costs no request. Only an issuance reads the Secret, once."""
    facts = _facts(runtime, body, lookup, served_lookup)
    sessions = _Sessions(runtime, facts)
    step: Any = None
    try:
        while True:
            step = decide(facts, runtime.clock.now())
            if isinstance(step, AskRenewalInfo):
                record = await renewal_info.fetch_record(
                    sessions.get(step.ref), step.served, runtime.clock.now()
                )
                assert step.served.info is not None
                windows = {**facts.windows, step.served.info.serial_hex: record}
                facts = dataclasses.replace(facts, windows=windows)
            elif isinstance(step, ReadSecret):
                assert facts.spec is not None
                secret = await read_secret(runtime.kube, facts.spec.namespace, facts.spec.secret_name)
                contents = read_contents(secret) if secret is not None else None
                facts = dataclasses.replace(facts, secret=SecretRead(secret, contents))
            elif isinstance(step, AskQuota):
                order_quota = quota.order_quota(runtime, sessions.get(step.ref), body, step.look)
                facts = dataclasses.replace(facts, quota=QuotaAnswer(order_quota.wait_until()))
            else:
                return await _carry_out(runtime, body, facts, sessions, step)
    except EvercertError as exc:
        fail = after_error(step, exc)
        return await _failed(runtime, body, facts, fail, sessions.used(fail.ref))
    except (ApiException, aiohttp.ClientError, TimeoutError) as exc:
        log.warning(
            "Kubernetes API error; retrying soon",
            extra={"certificate": _where(body), "error": _api_error(exc)},
        )
        return after_api_error(runtime.clock.now()).until


def _facts(
    runtime: Runtime,
    body: Mapping[str, Any],
    lookup: IssuerLookup,
    served_lookup: ServedLookup,
) -> Facts:
    """What the pass knows without a request: the body parsed once, the watch's Secret, the issuers."""
    status = parse_status(body.get("status"))
    generation = int((body.get("metadata") or {}).get("generation") or 0)
    try:
        spec = parse_certificate(body)
    except InvalidSpec as exc:
        return Facts(status, None, exc, generation)
    now = runtime.clock.now()
    issuers = {ref: _issuer_state(runtime, spec, lookup, ref, now) for ref in spec.issuer_refs}
    return Facts(
        status,
        spec,
        None,
        generation,
        served_lookup(spec.namespace, spec.secret_name),
        pending_renew_request(body),
        issuers,
    )


def _issuer_state(
    runtime: Runtime, spec: CertificateSpec, lookup: IssuerLookup, ref: IssuerRef, now: datetime.datetime
) -> IssuerState:
    try:
        issuer, account_uri = resolve_issuer(spec, lookup, ref)
    except EvercertError as exc:
        return IssuerState(error=exc)
    held = runtime.failed_validations.held_until(account_uri, spec.identifiers, now)
    return IssuerState(issuer, account_uri, held_until=held)


class _Sessions:
    """The pass's ACME sessions, one per issuer, opened on first use."""

    def __init__(self, runtime: Runtime, facts: Facts) -> None:
        self._runtime = runtime
        self._facts = facts
        self._open: dict[IssuerRef, AcmeSession] = {}

    def get(self, ref: IssuerRef) -> AcmeSession:
        session = self._open.get(ref)
        if session is None:
            state = self._facts.issuers[ref]
            assert state.issuer is not None and state.account_uri is not None
            session = self._open[ref] = AcmeSession(self._runtime, state.issuer, state.account_uri)
        return session

    def used(self, ref: IssuerRef | None) -> AcmeSession | None:
        return self._open.get(ref) if ref is not None else None


async def _carry_out(
    runtime: Runtime, body: Mapping[str, Any], facts: Facts, sessions: _Sessions, step: Any
) -> datetime.datetime | None:
    status = facts.status
    if isinstance(step, Fail):
        return await _failed(runtime, body, facts, step, None)
    if isinstance(step, Wait):
        return step.until
    if isinstance(step, Hold):
        log.info(
            "attempt held back: a name failed validation too often in the last hour",
            extra={"certificate": _where(body), "until": step.until.isoformat()},
        )
        return step.until
    if isinstance(step, Serve):
        if step.remove_leftovers:
            await issuing.remove_leftovers(runtime, step.look.spec)
        now = runtime.clock.now()
        serving = (
            transitions.issued(status, step.look, now)
            if step.issued_before_crash
            else transitions.ready(status, step.look, now)
        )
        await apply(runtime, body, serving)
        return serving.wake
    if isinstance(step, WaitForQuota):
        message = quota.waiting_message(step.issuer, step.until)
        waiting = transitions.waiting_for_quota(status, step.look, step.until, message, runtime.clock.now())
        await apply(runtime, body, waiting)
        return waiting.wake
    assert isinstance(step, Issue)
    return await _issue_and_report(runtime, body, facts, sessions.get(step.ref), step)


async def _issue_and_report(
    runtime: Runtime, body: Mapping[str, Any], facts: Facts, session: AcmeSession, step: Issue
) -> datetime.datetime | None:
    """Issue under a slot; then the look at the new certificate (its ARI window asked over the
    session already open) and the issued transition."""
    status, look = facts.status, step.look
    order_quota = quota.order_quota(runtime, session, body, look)
    try:
        async with runtime.slots.hold():
            await apply(runtime, body, transitions.issuing(status, look, runtime.clock.now()))
            try:
                written = await _issue(runtime, session, look.spec, status, step, order_quota)
            finally:
                order_quota.leave()
    except WaitingForOrderQuota as exc:
        assert exc.retry_after is not None
        waiting = transitions.waiting_for_quota(
            status, look, exc.retry_after, exc.message, runtime.clock.now()
        )
        await apply(runtime, body, waiting)
        return waiting.wake
    issued_look = await _look_at_written(look.spec, written, status, session, runtime.clock.now())
    issued = transitions.issued(status, issued_look, runtime.clock.now(), facts.renew_request)
    await apply(runtime, body, issued)
    reporting.issuance_ended(True, look.reason or reasons.ISSUED)
    return issued.wake


async def _look_at_written(
    spec: CertificateSpec,
    written: SecretContents,
    status: CertificateStatus,
    session: AcmeSession,
    now: datetime.datetime,
) -> Look:
    windows: dict[str, Any] = {}
    while isinstance(found := take_look(spec, written, status, now, windows=windows), NeedsWindow):
        assert written.info is not None
        windows[written.info.serial_hex] = await renewal_info.fetch_record(session, written, now)
    return found


async def _failed(
    runtime: Runtime, body: Mapping[str, Any], facts: Facts, step: Fail, session: AcmeSession | None
) -> datetime.datetime | None:
    """The error to status and an Event; a failed validation is remembered, a rate limit pauses the
    account."""
    exc, spec = step.error, facts.spec
    names = failed_validation_names(step)
    if names and session is not None:
        runtime.failed_validations.record(session.account_uri, names, runtime.clock.now())
    quota.pause_on_rate_limit(runtime, session, exc)
    transition = transitions.failed(
        facts.status, exc, runtime.clock.now(), facts.generation, runtime.retry, step.look, step.ref
    )
    await apply(runtime, body, transition)
    if exc.failed_attempt:
        reporting.issuance_ended(False, exc.reason)
    if transition.event is not None and spec is not None:
        log.warning(
            "certificate not issued",
            extra={"certificate": _where(body), "reason": exc.reason, "detail": exc.message},
        )
    return transition.wake


def _where(body: Mapping[str, Any]) -> str:
    meta = body.get("metadata") or {}
    return f"{meta.get('namespace')}/{meta.get('name')}"


async def _issue(
    runtime: Runtime,
    session: AcmeSession,
    spec: CertificateSpec,
    status: CertificateStatus,
    step: Issue,
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

    secret, replaces = step.secret.body, step.replaces
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
