"""Certificates: the watch keeps each one in the store and asks the scheduler for a look on a change."""

from __future__ import annotations

import logging
from typing import Any

import kopf

from ..api.issuer import IssuerKey
from ..certificates import dns01_records, reporting
from ..core import constants
from ..runtime import Runtime
from ..solver import presenting
from . import shims

log = logging.getLogger(__name__)


@kopf.on.event(constants.GROUP, constants.VERSION, constants.CERTIFICATES)
async def certificate_event(
    type: str | None,
    body: kopf.Body,
    memo: kopf.Memo,
    issuers_index: kopf.Index[IssuerKey, dict[str, Any]],
    cluster_issuers_index: kopf.Index[IssuerKey, dict[str, Any]],
    ingress_requests: shims.Requests,
    gateway_requests: shims.Requests,
    listener_set_requests: shims.Requests,
    **_: Any,
) -> None:
    runtime: Runtime = memo.runtime
    runtime.indexes.issuers, runtime.indexes.cluster_issuers = issuers_index, cluster_issuers_index
    key = (body.metadata.namespace, body.metadata.name)
    try:
        if type == "DELETED":
            runtime.certificates.forget(key)
            reporting.forget(*key)
            runtime.own_writes.forget(*key)
            if runtime.scheduler is not None:
                runtime.scheduler.forget(key)
                runtime.scheduler.cancel(key)  # an attempt in flight (waiting for DNS, say) ends now
            # Garbage collection would remove them too (owner references), but only when it runs.
            await presenting.clean_up(runtime.kube, *key)
            await dns01_records.remove_on_deletion(runtime.passes.issuance, runtime.indexes.issuer, body)
        else:
            runtime.own_writes.body_changed(*key)
            if runtime.certificates.observe(body):
                runtime.look_again(key)
    finally:
        # The shims plan with the store as it is now, even when the clean-up above failed.
        await shims.certificate_changed(body, memo, ingress_requests, gateway_requests, listener_set_requests)
