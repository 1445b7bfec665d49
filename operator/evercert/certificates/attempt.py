"""Carrying out an Issue step: the issuance under a slot and the account's order quota, the order URL
recorded as it is made, then the look at the new certificate and the issued transition."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from ..copies.sync import ServedLookup
from ..core import reasons
from ..core.errors import EvercertError, WaitingForOrderQuota
from ..issuers.session import AcmeSession
from ..kube.client import patch_certificate_status
from . import issuing, ordering, quota, renewal_info, reporting, transitions
from .facts import Facts
from .look import Look, NeedsWindow, take_look
from .parts import PassParts
from .secret_effects import sync_copies
from .status import RenewalInfo, StoredOrder, order_field
from .steps import Issue
from .tls_secret import SecretContents
from .writes import apply, patch_status


async def issue_and_report(
    parts: PassParts,
    body: Mapping[str, Any],
    facts: Facts,
    session: AcmeSession,
    step: Issue,
    served: ServedLookup,
) -> datetime.datetime | None:
    """Issue; then the look at the new certificate (its ARI window asked over the session already
    open), the issued transition and the copies. Returns when to look again."""
    status, look = facts.status, step.look
    order_quota = quota.order_quota(parts.pacing, session, look, facts.created, parts.clock.now())
    try:
        async with parts.slots.hold():
            await apply(parts, body, transitions.issuing(status, look, parts.clock.now()))
            try:
                written = await _issue(parts, session, facts, step, order_quota)
            finally:
                order_quota.leave()
    except WaitingForOrderQuota as exc:
        assert exc.retry_after is not None
        waiting = transitions.waiting_for_quota(status, look, exc.retry_after, exc.message, parts.clock.now())
        await apply(parts, body, waiting)
        return waiting.wake
    issued_look = await _look_at_written(look, written, facts, session, parts.clock.now())
    issued = transitions.issued(status, issued_look, parts.clock.now(), facts.renew_request)
    await apply(parts, body, issued)
    await sync_copies(parts, body, look.spec, written, served)  # right after the source, in the same pass
    reporting.issuance_ended(True, look.reason or reasons.ISSUED)
    return issued.wake


async def _issue(
    parts: PassParts, session: AcmeSession, facts: Facts, step: Issue, order_quota: quota.OrderQuota
) -> SecretContents:
    spec, stored = step.look.spec, facts.status.order

    def write_order(order: StoredOrder) -> None:  # blocking: from the ACME thread (see OrderRecorder)
        # Not through the operator's busy loop: see kube/side_writes.py.
        parts.kube.side.run(
            lambda kube: patch_certificate_status(kube, spec.namespace, spec.name, order_field(order))
        )

    async def wrote_order(order: StoredOrder, written: bool) -> None:
        if written:
            parts.own_writes.wrote(spec.namespace, spec.name, order_field(order))
        else:
            await patch_status(parts, spec.namespace, spec.name, order_field(order))

    recorder = ordering.OrderRecorder(write_order, wrote_order, parts.write_grace())
    secret, replaces, tools, passwords = (
        step.secret.body,
        step.replaces,
        parts.issuance,
        step.passwords,
    )

    def waiting(message: str) -> Mapping[str, Any]:  # DNS-01 values not served everywhere yet
        return transitions.waiting_for_dns(facts.status, step.look, message, parts.clock.now()).patch

    try:
        return await issuing.issue(
            tools, session, spec, stored, secret, recorder, replaces, order_quota, waiting, passwords
        )
    except EvercertError as exc:
        if exc.reason != reasons.ACME_ACCOUNT_UNKNOWN:
            raise
        await session.register_again()
        return await issuing.issue(
            tools, session, spec, stored, secret, recorder, replaces, order_quota, waiting, passwords
        )


async def _look_at_written(
    look: Look, written: SecretContents, facts: Facts, session: AcmeSession, now: datetime.datetime
) -> Look:
    windows: dict[str, RenewalInfo] = {}
    while isinstance(found := take_look(look.spec, written, facts.status, now, windows=windows), NeedsWindow):
        assert written.info is not None
        windows[written.info.serial_hex] = await renewal_info.fetch_record(session, written, now)
    return found
