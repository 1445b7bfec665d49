"""Issuers and ClusterIssuers: register the ACME account; keep an in-memory index for Certificates."""

from __future__ import annotations

from typing import Any

import kopf

from ..api.issuer import IssuerKey
from ..core import constants
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


@kopf.on.event(constants.GROUP, constants.VERSION, constants.ISSUERS)
@kopf.on.event(constants.GROUP, constants.VERSION, constants.CLUSTER_ISSUERS)
async def issuer_changed(
    memo: kopf.Memo,
    type: str | None,
    issuers_index: kopf.Index[IssuerKey, dict[str, Any]],
    cluster_issuers_index: kopf.Index[IssuerKey, dict[str, Any]],
    **_: Any,
) -> None:
    """Certificates waiting for an issuer look again (cheap: a look with nothing to do reads nothing)."""
    runtime: Runtime = memo.runtime
    runtime.indexes.issuers, runtime.indexes.cluster_issuers = issuers_index, cluster_issuers_index
    runtime.start()
    if type is not None:  # not the initial listing: every Certificate gets its first look anyway
        runtime.look_at_all()


async def _register(body: kopf.Body, memo: kopf.Memo, kind: str, retry: int) -> None:
    runtime: Runtime = memo.runtime
    if not runtime.serving.serves(body.metadata.namespace, body.metadata.name):
        return  # another replica's; a shard gained later registers what is not Ready (issuers.registration)
    failure = await register(runtime.account_access, runtime.clock, runtime.retry, body, kind, retry)
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
