"""The wiring of the ingress-shim and the gateway-shim. Users' Ingresses, Gateways and ListenerSets are
only indexed and watched, never written to: no kopf change handlers, so kopf puts no annotations or
finalizers on them. The Certificates a plan compares with are the CertificateStore's (no kopf index of
every Certificate)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import kopf

from ..core import constants
from ..core.clock import SystemClock
from ..events import KopfEvents
from ..gateway_shim import GATEWAY, LISTENER_SET, gateway_request, listener_set_request
from ..ingress_shim import (
    INGRESS,
    ExistingCertificate,
    Shim,
    ShimOptions,
    ShimRequest,
    ShimState,
    Source,
    existing_certificate,
    ingress_request,
)
from ..runtime import Runtime

INGRESSES = (constants.INGRESS_GROUP, constants.INGRESS_VERSION, constants.INGRESSES)
USERS_INGRESSES = {constants.LABEL_SOLVER: kopf.ABSENT}  # the solver's own Ingresses are not asking
GATEWAYS = (constants.GATEWAY_GROUP, constants.GATEWAY_VERSION, constants.GATEWAYS)
LISTENER_SETS = (constants.GATEWAY_GROUP, constants.GATEWAY_VERSION, constants.LISTENER_SETS)
SOURCES = (INGRESS, GATEWAY, LISTENER_SET)

Requests = kopf.Index[str, ShimRequest]


class StoredCertificates:
    """namespace → what the shim for `source` needs of each Certificate there, read from the store."""

    def __init__(self, runtime: Runtime, source: Source) -> None:
        self.runtime, self.source = runtime, source

    def get(self, namespace: str, default: Collection[ExistingCertificate] = ()) -> list[ExistingCertificate]:
        bodies = self.runtime.certificates.in_namespace(namespace)
        return [existing_certificate(body, self.source) for body in bodies] or list(default)


@kopf.on.startup()
async def start_shims(memo: kopf.Memo, **_: Any) -> None:
    memo.shims = {source.kind: ShimState() for source in SOURCES}
    memo.shim_indexes = {}  # the indexes, as the last event handed them over (for a resync)


@kopf.on.cleanup()
async def stop_shims(memo: kopf.Memo, **_: Any) -> None:
    states: dict[str, ShimState] = memo.shims
    for state in states.values():
        state.close()


@kopf.index(*INGRESSES, labels=USERS_INGRESSES)
async def ingress_requests(body: kopf.Body, memo: kopf.Memo, **_: Any) -> dict[str, ShimRequest]:
    """namespace → what each annotated Ingress asks for ({} un-indexes an Ingress no longer annotated)."""
    runtime: Runtime = memo.runtime
    request = ingress_request(body, ShimOptions.from_settings(runtime.settings))
    return {} if request is None else {body.metadata.namespace: request}


@kopf.index(*GATEWAYS)
async def gateway_requests(body: kopf.Body, memo: kopf.Memo, **_: Any) -> dict[str, ShimRequest]:
    """namespace → what each annotated Gateway asks for."""
    runtime: Runtime = memo.runtime
    request = gateway_request(body, ShimOptions.from_settings(runtime.settings))
    return {} if request is None else {body.metadata.namespace: request}


@kopf.index(*LISTENER_SETS)
async def listener_set_requests(body: kopf.Body, memo: kopf.Memo, **_: Any) -> dict[str, ShimRequest]:
    """namespace → what each annotated ListenerSet asks for."""
    runtime: Runtime = memo.runtime
    request = listener_set_request(body, ShimOptions.from_settings(runtime.settings))
    return {} if request is None else {body.metadata.namespace: request}


@kopf.on.event(*INGRESSES, labels=USERS_INGRESSES)
async def ingress_changed(body: kopf.Body, memo: kopf.Memo, ingress_requests: Requests, **_: Any) -> None:
    memo.shim_indexes[INGRESS.kind] = ingress_requests
    if await _serves(memo, body.metadata.namespace):
        await _shim(memo, INGRESS).owner_changed(body, ingress_requests, _certificates(memo, INGRESS))


@kopf.on.event(*GATEWAYS)
async def gateway_changed(body: kopf.Body, memo: kopf.Memo, gateway_requests: Requests, **_: Any) -> None:
    memo.shim_indexes[GATEWAY.kind] = gateway_requests
    if await _serves(memo, body.metadata.namespace):
        await _shim(memo, GATEWAY).owner_changed(body, gateway_requests, _certificates(memo, GATEWAY))


@kopf.on.event(*LISTENER_SETS)
async def listener_set_changed(
    body: kopf.Body, memo: kopf.Memo, listener_set_requests: Requests, **_: Any
) -> None:
    memo.shim_indexes[LISTENER_SET.kind] = listener_set_requests
    if await _serves(memo, body.metadata.namespace):
        certificates = _certificates(memo, LISTENER_SET)
        await _shim(memo, LISTENER_SET).owner_changed(body, listener_set_requests, certificates)


async def certificate_changed(
    body: kopf.Body,
    memo: kopf.Memo,
    ingress_requests: Requests,
    gateway_requests: Requests,
    listener_set_requests: Requests,
) -> None:
    """A Certificate event, after handlers/certificates.py put the body into the store (one kopf handler
    per Certificate event: kopf's cost is per handler called)."""
    indexes = (ingress_requests, gateway_requests, listener_set_requests)
    memo.shim_indexes.update({source.kind: index for source, index in zip(SOURCES, indexes, strict=True)})
    if await _serves(memo, body.metadata.namespace):
        for source, index in zip(SOURCES, indexes, strict=True):
            await _shim(memo, source).certificate_changed(body, index, _certificates(memo, source))


async def _serves(memo: kopf.Memo, namespace: str) -> bool:
    """A shim plans a whole namespace at once: one replica serves each namespace (its shard). After a
    start, only once the store holds every Certificate (else it would make ones that exist): the
    events before that are caught up by one resync (`primed`), not held, each with its body."""
    runtime: Runtime = memo.runtime
    runtime.start()
    return runtime.serving.serves(None, namespace) and runtime.certificates.priming.done


def primed(memo: kopf.Memo) -> None:
    """The store holds every Certificate now: plan every namespace this replica serves."""
    runtime: Runtime = memo.runtime
    runtime.serving.spawn(resync(memo, frozenset(range(runtime.serving.count))))


def _certificates(memo: kopf.Memo, source: Source) -> StoredCertificates:
    return StoredCertificates(memo.runtime, source)


async def resync(memo: kopf.Memo, shards: frozenset[int]) -> None:
    """After shards were gained: plan every namespace with annotated Ingresses, Gateways or ListenerSets."""
    runtime: Runtime = memo.runtime
    await runtime.certificates.priming.wait()
    for source in SOURCES:
        requests = memo.shim_indexes.get(source.kind, {})
        for namespace in list(requests):
            if runtime.serving.shard(None, namespace) in shards and runtime.serving.serves(None, namespace):
                await _shim(memo, source).sync(namespace, requests, _certificates(memo, source))


def _shim(memo: kopf.Memo, source: Source) -> Shim:
    """The shim's state with the operator's client: the Runtime is made by a startup handler that runs
    after this module's, so it is looked up per event."""
    runtime: Runtime = memo.runtime
    return Shim(memo.shims[source.kind], runtime.kube, KopfEvents(), SystemClock(), source=source)
