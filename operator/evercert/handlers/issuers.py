"""Issuers and ClusterIssuers: register the ACME account; keep an in-memory index for Certificates."""

from __future__ import annotations

import datetime
from typing import Any

import kopf

from .. import accounts, conditions, constants
from ..acme.account import register_account
from ..api.issuer import IssuerKey, parse_issuer
from ..errors import AcmeFailure, EvercertError
from ..kube.client import patch_issuer_status
from ..renewal import backoff_delay
from ..runtime import Runtime


def _index_entry(body: kopf.Body, kind: str) -> dict[IssuerKey, dict[str, Any]]:
    key = IssuerKey(kind, body.metadata.namespace, body.metadata.name)
    return {key: {"metadata": dict(body.metadata), "spec": dict(body.spec), "status": dict(body.status)}}


@kopf.index(constants.GROUP, constants.VERSION, constants.ISSUERS)
async def issuers_index(body: kopf.Body, **_: Any) -> dict[IssuerKey, dict[str, Any]]:
    return _index_entry(body, "Issuer")


@kopf.index(constants.GROUP, constants.VERSION, constants.CLUSTER_ISSUERS)
async def cluster_issuers_index(body: kopf.Body, **_: Any) -> dict[IssuerKey, dict[str, Any]]:
    return _index_entry(body, "ClusterIssuer")


def lookup_issuer(
    issuers: kopf.Index[IssuerKey, dict[str, Any]],
    cluster_issuers: kopf.Index[IssuerKey, dict[str, Any]],
    key: IssuerKey,
) -> dict[str, Any] | None:
    index = cluster_issuers if key.kind == "ClusterIssuer" else issuers
    for body in index.get(key, []):
        return body
    return None


@kopf.on.event(constants.GROUP, constants.VERSION, constants.ISSUERS)
@kopf.on.event(constants.GROUP, constants.VERSION, constants.CLUSTER_ISSUERS)
async def issuer_changed(memo: kopf.Memo, **_: Any) -> None:
    """Certificates waiting for an issuer look again (cheap: they only re-read their Secret)."""
    runtime: Runtime = memo.runtime
    runtime.wakeups.wake_all()


async def _register(body: kopf.Body, memo: kopf.Memo, kind: str, retry: int) -> None:
    runtime: Runtime = memo.runtime
    now = datetime.datetime.now(datetime.UTC)
    generation = int(body.metadata.get("generation") or 0)
    try:
        issuer = parse_issuer(body, kind)
        key_pem = await accounts.ensure_account_key(runtime, issuer)
        settings = await accounts.account_settings(runtime, issuer)
        uri = await runtime.blocking(register_account, settings, key_pem)
    except (EvercertError, AcmeFailure) as exc:
        conds = conditions.with_condition(
            body.status.get("conditions"), "Ready", False, exc.reason, exc.message, generation, now
        )
        await patch_issuer_status(
            runtime.kube, kind, body.metadata.namespace, body.metadata.name, {"conditions": conds}
        )
        kopf.event(body, type="Warning", reason=exc.reason, message=exc.message)
        if isinstance(exc, AcmeFailure) or exc.reason == "IssuerNotReady":
            delay = backoff_delay(retry + 1, runtime.settings.first_backoff).total_seconds()
            retry_after = getattr(exc, "retry_after", None)
            if retry_after:
                delay = max(delay, (retry_after - now).total_seconds())
            raise kopf.TemporaryError(exc.message, delay=delay) from None
        raise kopf.PermanentError(exc.message) from None
    conds = conditions.with_condition(
        body.status.get("conditions"),
        "Ready",
        True,
        "ACMEAccountRegistered",
        "the ACME account is registered",
        generation,
        now,
    )
    await patch_issuer_status(
        runtime.kube,
        kind,
        body.metadata.namespace,
        body.metadata.name,
        {
            "conditions": conds,
            "acme": {"uri": uri, "lastRegisteredEmail": issuer.email},
        },
    )
    if not conditions.same_condition(
        conditions.find(body.status.get("conditions"), "Ready"), conditions.find(conds, "Ready")
    ):
        kopf.event(body, type="Normal", reason="ACMEAccountRegistered", message=f"ACME account {uri}")


@kopf.on.resume(constants.GROUP, constants.VERSION, constants.ISSUERS)
@kopf.on.create(constants.GROUP, constants.VERSION, constants.ISSUERS)
@kopf.on.update(constants.GROUP, constants.VERSION, constants.ISSUERS, field="spec")
async def issuer_account(body: kopf.Body, memo: kopf.Memo, retry: int, **_: Any) -> None:
    await _register(body, memo, "Issuer", retry)


@kopf.on.resume(constants.GROUP, constants.VERSION, constants.CLUSTER_ISSUERS)
@kopf.on.create(constants.GROUP, constants.VERSION, constants.CLUSTER_ISSUERS)
@kopf.on.update(constants.GROUP, constants.VERSION, constants.CLUSTER_ISSUERS, field="spec")
async def cluster_issuer_account(body: kopf.Body, memo: kopf.Memo, retry: int, **_: Any) -> None:
    await _register(body, memo, "ClusterIssuer", retry)
