"""Issuers and ClusterIssuers: register the ACME account; keep an in-memory index for Certificates."""

from __future__ import annotations

from typing import Any

import kopf

from .. import constants
from ..api.issuer import IssuerKey
from ..issuers.lookup import first_in_index
from ..issuers.registration import register
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
    body = first_in_index(cluster_issuers if key.kind == "ClusterIssuer" else issuers, key)
    return dict(body) if body is not None else None


@kopf.on.event(constants.GROUP, constants.VERSION, constants.ISSUERS)
@kopf.on.event(constants.GROUP, constants.VERSION, constants.CLUSTER_ISSUERS)
async def issuer_changed(memo: kopf.Memo, **_: Any) -> None:
    """Certificates waiting for an issuer look again (cheap: they only re-read their Secret)."""
    runtime: Runtime = memo.runtime
    runtime.wakeups.wake_all()


async def _register(body: kopf.Body, memo: kopf.Memo, kind: str, retry: int) -> None:
    runtime: Runtime = memo.runtime
    failure = await register(runtime, body, kind, retry)
    if failure is None:
        return
    if failure.retry_at is None:
        raise kopf.PermanentError(failure.error.message)
    delay = max(0.0, (failure.retry_at - runtime.clock.now()).total_seconds())
    raise kopf.TemporaryError(failure.error.message, delay=delay)


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
