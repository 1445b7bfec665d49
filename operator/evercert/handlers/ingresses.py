"""The ingress-shim's wiring. Users' Ingresses are only indexed and watched, never written to: no kopf
change handlers, so kopf puts no annotations or finalizers on them."""

from __future__ import annotations

from typing import Any

import kopf

from .. import constants
from ..clock import SystemClock
from ..events import KopfEvents
from ..ingress_shim import (
    ExistingCertificate,
    Shim,
    ShimOptions,
    ShimRequest,
    ShimState,
    existing_certificate,
    ingress_request,
)
from ..runtime import Runtime

INGRESSES = (constants.INGRESS_GROUP, constants.INGRESS_VERSION, constants.INGRESSES)
USERS_INGRESSES = {constants.LABEL_SOLVER: kopf.ABSENT}  # the solver's own Ingresses are not asking

Requests = kopf.Index[str, ShimRequest]
Certificates = kopf.Index[str, ExistingCertificate]


@kopf.on.startup()
async def start_shim(memo: kopf.Memo, **_: Any) -> None:
    memo.ingress_shim = ShimState()


@kopf.on.cleanup()
async def stop_shim(memo: kopf.Memo, **_: Any) -> None:
    state: ShimState = memo.ingress_shim
    state.close()


@kopf.index(*INGRESSES, labels=USERS_INGRESSES)
async def ingress_requests(body: kopf.Body, memo: kopf.Memo, **_: Any) -> dict[str, ShimRequest]:
    """namespace → what each annotated Ingress asks for ({} un-indexes an Ingress no longer annotated)."""
    runtime: Runtime = memo.runtime
    request = ingress_request(body, ShimOptions.from_settings(runtime.settings))
    return {} if request is None else {body.metadata.namespace: request}


@kopf.index(constants.GROUP, constants.VERSION, constants.CERTIFICATES)
async def namespace_certificates(body: kopf.Body, **_: Any) -> dict[str, ExistingCertificate]:
    return {body.metadata.namespace: existing_certificate(body)}


@kopf.on.event(*INGRESSES, labels=USERS_INGRESSES)
async def ingress_changed(
    body: kopf.Body,
    memo: kopf.Memo,
    ingress_requests: Requests,
    namespace_certificates: Certificates,
    **_: Any,
) -> None:
    await _shim(memo).owner_changed(body, ingress_requests, namespace_certificates)


@kopf.on.event(constants.GROUP, constants.VERSION, constants.CERTIFICATES)
async def shim_certificate_changed(
    body: kopf.Body,
    memo: kopf.Memo,
    ingress_requests: Requests,
    namespace_certificates: Certificates,
    **_: Any,
) -> None:
    await _shim(memo).certificate_changed(body, ingress_requests, namespace_certificates)


def _shim(memo: kopf.Memo) -> Shim:
    """The shim's state with the operator's client: the Runtime is made by a startup handler that runs
    after this module's, so it is looked up per event."""
    runtime: Runtime = memo.runtime
    return Shim(memo.ingress_shim, runtime.kube, KopfEvents(), SystemClock())
