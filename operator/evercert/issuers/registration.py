"""Register an Issuer's ACME account once and report it in the Issuer's status (Ready, account URI)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .. import conditions
from ..acme.account import register_account
from ..api.issuer import parse_issuer
from ..core import reasons
from ..core.clock import Clock
from ..core.errors import EvercertError, IssuerNotReady
from ..core.retry import RetryPolicy
from ..kube.client import patch_issuer_status
from . import accounts
from .lookup import Indexes
from .session import AccountAccess


@dataclass(frozen=True)
class Registered:
    uri: str
    email: str | None


@dataclass(frozen=True)
class NotRegistered:
    error: EvercertError
    # When to try again; None: only a change of the Issuer can help.
    retry_at: datetime.datetime | None


def registration_status(
    status: Mapping[str, Any], outcome: Registered | NotRegistered, generation: int, now: datetime.datetime
) -> tuple[dict[str, Any], tuple[str, str, str] | None]:
    """Pure: the status patch and the Event (type, reason, message) to post, if any."""
    previous = conditions.find(status.get("conditions"), reasons.READY)
    if isinstance(outcome, NotRegistered):
        error = outcome.error
        conds = conditions.with_condition(
            status.get("conditions"), reasons.READY, False, error.reason, error.message, generation, now
        )
        return {"conditions": conds}, ("Warning", error.reason, error.message)
    conds = conditions.with_condition(
        status.get("conditions"),
        reasons.READY,
        True,
        reasons.ACCOUNT_REGISTERED,
        reasons.ACCOUNT_REGISTERED_MESSAGE,
        generation,
        now,
    )
    patch = {"conditions": conds, "acme": {"uri": outcome.uri, "lastRegisteredEmail": outcome.email}}
    changed = not conditions.same_condition(previous, conditions.find(conds, reasons.READY))
    event = ("Normal", reasons.ACCOUNT_REGISTERED, f"ACME account {outcome.uri}") if changed else None
    return patch, event


async def register(
    access: AccountAccess,
    clock: Clock,
    retry: RetryPolicy,
    body: Mapping[str, Any],
    kind: str,
    retries: int,
) -> NotRegistered | None:
    """Register (or find) the account, write the status and post the Event; what failed, if anything."""
    meta = body.get("metadata") or {}
    now = clock.now()
    outcome: Registered | NotRegistered
    try:
        issuer = parse_issuer(body, kind)
        key_pem = await accounts.ensure_account_key(access.kube, issuer, access.cluster_resource_namespace)
        settings = await access.settings(issuer)
        outcome = Registered(await access.blocking(register_account, settings, key_pem), issuer.email)
    except EvercertError as exc:
        # A CA that failed, or a Secret not there yet, may come right; a spec as written will not.
        passing = exc.failed_attempt or isinstance(exc, IssuerNotReady)
        retry_at = retry.next_attempt(now, retries + 1, exc.retry_after) if passing else None
        outcome = NotRegistered(exc, retry_at)
    patch, event = registration_status(
        body.get("status") or {}, outcome, int(meta.get("generation") or 0), now
    )
    await patch_issuer_status(access.kube, kind, meta.get("namespace"), meta["name"], patch)
    if event is not None:
        access.events.post(body, *event)
    return outcome if isinstance(outcome, NotRegistered) else None


async def register_unready(
    access: AccountAccess,
    clock: Clock,
    retry: RetryPolicy,
    indexes: Indexes,
    shard_of: Callable[[str | None, str], int],
    shards: frozenset[int],
) -> None:
    """After shards were gained: register the Issuers in them that are not Ready (their create or
    change may have come while another replica was serving them, or none was)."""
    for index, kind in ((indexes.issuers, "Issuer"), (indexes.cluster_issuers, "ClusterIssuer")):
        for bodies in list(index.values()):
            for body in bodies:
                meta = body.get("metadata") or {}
                if shard_of(meta.get("namespace"), meta["name"]) not in shards:
                    continue
                ready = conditions.find((body.get("status") or {}).get("conditions"), reasons.READY)
                if not ready or ready.get("status") != "True":
                    await register(access, clock, retry, body, kind, 0)
