"""One pass over a Certificate: gather the facts, `decide` (decide.py), carry out the step.

What to do is decided by the pure functions of decide.py, what to write and say by those of
transitions.py; this module only gathers, acts and applies. It returns when to look again."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping
from typing import Any

import aiohttp
from kubernetes_asyncio.client.exceptions import ApiException

from ..api.certificate import IssuerRef
from ..core import reasons
from ..core.errors import EvercertError
from ..issuers.lookup import IssuerLookup
from ..issuers.session import AcmeSession
from . import quota, reporting, transitions
from .adoption_patch import adopt
from .attempt import issue_and_report
from .decide import after_api_error, after_error, decide, failed_validation_names
from .facts import Facts
from .gather import ServedLookup, Sessions, answer, known_facts
from .parts import PassParts
from .secret_effects import serve
from .steps import Fail, Hold, Issue, Question, Serve, Step, Wait, WaitForQuota
from .writes import apply

log = logging.getLogger(__name__)


async def reconcile(
    parts: PassParts, body: Mapping[str, Any], lookup: IssuerLookup, served_lookup: ServedLookup
) -> datetime.datetime | None:
    """Look once, act if needed; returns when to look again (None: only on a change).

    The look uses what the watch of evercert's Secrets holds (`served_lookup`): a Certificate with
    nothing to do costs no request. Only an issuance reads the Secret, once; a keystore password kept
    in a Secret is read at each look (a change of that Secret asks for one: password_secrets.py)."""
    facts = known_facts(parts, body, lookup, served_lookup)
    sessions = Sessions(parts, facts)
    step: Step | None = None
    try:
        while isinstance(step := decide(facts, parts.clock.now()), Question):
            facts = await answer(parts, facts, sessions, step)
        return await _carry_out(parts, body, facts, sessions, step, lookup, served_lookup)
    except EvercertError as exc:
        fail = after_error(step, exc)
        return await _failed(parts, body, facts, fail, sessions.used(fail.ref))
    except (ApiException, aiohttp.ClientError, TimeoutError) as exc:
        where = {"certificate": _where(body), "error": _api_error(exc)}
        log.warning("Kubernetes API error; retrying soon", extra=where)
        return after_api_error(parts.clock.now()).until


async def _carry_out(
    parts: PassParts,
    body: Mapping[str, Any],
    facts: Facts,
    sessions: Sessions,
    step: Step,
    lookup: IssuerLookup,
    served_lookup: ServedLookup,
) -> datetime.datetime | None:
    status = facts.status
    if isinstance(step, Fail):
        return await _failed(parts, body, facts, step, None)
    if isinstance(step, Wait):
        return step.until
    if isinstance(step, Hold):
        log.info(
            "attempt held back: a name failed validation too often in the last hour",
            extra={"certificate": _where(body), "until": step.until.isoformat()},
        )
        return step.until
    if isinstance(step, Serve):
        if step.adopt is not None:  # before the outputs: a rewrite checks that the Secret is evercert's
            await _adopt(parts, body, facts, step.adopt)
        return await serve(parts, body, facts, step, lookup, served_lookup)
    if isinstance(step, WaitForQuota):
        message = quota.waiting_message(step.issuer, step.until)
        waiting = transitions.waiting_for_quota(status, step.look, step.until, message, parts.clock.now())
        await apply(parts, body, waiting)
        return waiting.wake
    assert isinstance(step, Issue), step
    return await issue_and_report(parts, body, facts, sessions.get(step.ref), step, served_lookup)


async def _adopt(parts: PassParts, body: Mapping[str, Any], facts: Facts, issuer: IssuerRef) -> None:
    """cert-manager's Secret serves the spec: evercert's annotations beside cert-manager's, no new order."""
    assert facts.spec is not None and facts.secret is not None and facts.secret.body is not None
    if await adopt(parts.kube, facts.spec, facts.secret.body, issuer):
        parts.events.post(body, "Normal", reasons.ADOPTED, reasons.ADOPTED_MESSAGE)


async def _failed(
    parts: PassParts, body: Mapping[str, Any], facts: Facts, step: Fail, session: AcmeSession | None
) -> datetime.datetime | None:
    """The error to status and an Event; a failed validation is remembered, a rate limit pauses the
    account."""
    exc, now = step.error, parts.clock.now()
    names = failed_validation_names(step)
    if names and session is not None:
        parts.failed_validations.record(session.account_uri, names, now)
    quota.pause_on_rate_limit(parts.pacing, session, exc, now)
    status, generation = facts.status, facts.generation
    transition = transitions.failed(status, exc, now, generation, parts.retry, step.look, step.ref)
    await apply(parts, body, transition)
    if exc.failed_attempt:
        reporting.issuance_ended(False, exc.reason)
    if transition.event is not None and facts.spec is not None:
        log.warning(
            "certificate not issued",
            extra={"certificate": _where(body), "reason": exc.reason, "detail": exc.message},
        )
    return transition.wake


def _where(body: Mapping[str, Any]) -> str:
    meta = body.get("metadata") or {}
    return f"{meta.get('namespace')}/{meta.get('name')}"


def _api_error(exc: Exception) -> str:
    return (
        f"HTTP {exc.status} {exc.reason}" if isinstance(exc, ApiException) else f"{type(exc).__name__}: {exc}"
    )
