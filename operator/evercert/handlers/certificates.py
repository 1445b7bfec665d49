"""Certificates: one long-lived daemon each (see certificates/loop.py); events only wake it."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import kopf

from .. import constants
from ..api.issuer import IssuerKey
from ..certificates.loop import pending_renew_request, reconcile
from ..certificates.wakeups import sleep_until
from ..runtime import Runtime
from ..solver import presenting
from .issuers import lookup_issuer

log = logging.getLogger(__name__)
# How long a daemon waits for its body to show its own status writes before it looks again anyway.
OWN_WRITES_SECONDS = 5.0


@kopf.daemon(constants.GROUP, constants.VERSION, constants.CERTIFICATES, cancellation_timeout=5.0)
async def certificate_daemon(
    body: kopf.Body,
    memo: kopf.Memo,
    stopped: kopf.DaemonStopped,
    issuers_index: kopf.Index[IssuerKey, dict[str, Any]],
    cluster_issuers_index: kopf.Index[IssuerKey, dict[str, Any]],
    **_: Any,
) -> None:
    runtime: Runtime = memo.runtime
    namespace, name = body.metadata.namespace, body.metadata.name
    wakeup = runtime.wakeups.event(namespace, name)
    try:
        while not stopped:
            if not await runtime.own_writes.caught_up(
                namespace, name, lambda: body.get("status"), OWN_WRITES_SECONDS
            ):
                log.warning("status writes not seen in time", extra={"certificate": f"{namespace}/{name}"})
            wakeup.clear()
            runtime.wakeups.seen[(namespace, name)] = looked_at(body)
            wake_at = await reconcile(
                runtime, body, lambda key: lookup_issuer(issuers_index, cluster_issuers_index, key)
            )
            runtime.heap.work_done()
            await sleep_until(wake_at, wakeup, runtime.clock)
    except asyncio.CancelledError:
        # kopf stops a daemon by cancelling it (no cancellation backoff), asleep or mid-issuance:
        # that is this daemon's normal end, not a failure to log.
        if not stopped:
            raise
    finally:
        runtime.wakeups.forget(namespace, name)
        runtime.own_writes.forget(namespace, name)
        if stopped.reason and stopped.reason & kopf.DaemonStoppingReason.RESOURCE_DELETED:
            # Garbage collection would remove them too (owner references), but only when it runs.
            await presenting.clean_up(runtime.kube, namespace, name)


def looked_at(body: kopf.Body) -> tuple[int | None, str | None]:
    return body.metadata.get("generation"), pending_renew_request(body)


@kopf.on.event(constants.GROUP, constants.VERSION, constants.CERTIFICATES)
async def certificate_changed(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Wake the daemon on a spec change; its own status writes don't count."""
    runtime: Runtime = memo.runtime
    key = (body.metadata.namespace, body.metadata.name)
    runtime.own_writes.body_changed(*key)
    if runtime.wakeups.seen.get(key) != looked_at(body):
        runtime.wakeups.wake(*key)
