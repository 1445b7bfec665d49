"""Reload on renewal, the wiring. Users' Deployments, StatefulSets and DaemonSets are only indexed and
watched (no kopf change handlers, so kopf writes no annotations or finalizers onto them); the one write
is evercert's own Pod-template patch (evercert.reload).

A new certificate in a managed Secret, or a change to an annotated workload, re-plans the workloads
concerned from kopf's index of workloads and the SecretStore's certificates.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import kopf
from kubernetes_asyncio.client.exceptions import ApiException

from .. import reload
from ..core import constants, reasons
from ..core.retry import RETRY_AFTER_API_ERROR
from ..reload import IssuedCertificate, Workload
from ..runtime import Runtime

log = logging.getLogger(__name__)

DEPLOYMENTS = ("apps", "v1", "deployments")
STATEFUL_SETS = ("apps", "v1", "statefulsets")
DAEMON_SETS = ("apps", "v1", "daemonsets")
ANNOTATED = {constants.ANNOTATION_RELOAD_ON_RENEWAL: kopf.PRESENT}

Workloads = kopf.Index[str, Workload]


@dataclass
class ReloadState:
    """In memory only: one plan at a time per namespace, and at most one pending retry per namespace."""

    locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    retries: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    # Namespaces with workload events before the SecretStore was complete, planned once it is.
    deferred: dict[str, Workloads] = field(default_factory=dict)


@kopf.on.startup()
async def start_reload(memo: kopf.Memo, **_: Any) -> None:
    memo.reload = ReloadState()


@kopf.on.cleanup()
async def stop_reload(memo: kopf.Memo, **_: Any) -> None:
    state: ReloadState = memo.reload
    for task in state.retries.values():
        task.cancel()


@kopf.index(*DEPLOYMENTS, annotations=ANNOTATED)
@kopf.index(*STATEFUL_SETS, annotations=ANNOTATED)
@kopf.index(*DAEMON_SETS, annotations=ANNOTATED)
async def reloadable_workloads(body: kopf.Body, resource: kopf.Resource, **_: Any) -> dict[str, Workload]:
    """namespace → each annotated workload ({} un-indexes one that is being deleted)."""
    found = reload.workload(resource.plural, body)
    return {} if found is None else {body.metadata.namespace: found}


@kopf.on.event(*DEPLOYMENTS, annotations=ANNOTATED)
@kopf.on.event(*STATEFUL_SETS, annotations=ANNOTATED)
@kopf.on.event(*DAEMON_SETS, annotations=ANNOTATED)
async def workload_changed(
    body: kopf.Body,
    memo: kopf.Memo,
    type: str | None,
    reloadable_workloads: Workloads,
    **_: Any,
) -> None:
    if type == "DELETED":
        return
    namespace, uid = body.metadata.namespace, body.metadata.uid
    workloads = [w for w in reloadable_workloads.get(namespace, []) if w.uid == uid]
    runtime: Runtime = memo.runtime
    if not runtime.secrets.priming.done:  # after a start: plan with every Secret's certificate
        state: ReloadState = memo.reload
        state.deferred[namespace] = reloadable_workloads
        return
    await sync(memo, namespace, workloads, reloadable_workloads)


def primed(memo: kopf.Memo) -> None:
    """The SecretStore is complete: plan the namespaces whose workload events came before."""
    state: ReloadState = memo.reload
    runtime: Runtime = memo.runtime
    deferred, state.deferred = state.deferred, {}
    for namespace, workloads in deferred.items():
        runtime.serving.spawn(sync(memo, namespace, list(workloads.get(namespace, [])), workloads))


async def secret_changed(
    body: kopf.Body, memo: kopf.Memo, type: str | None, reloadable_workloads: Workloads
) -> None:
    """A managed Secret's event (from handlers/secrets.py): re-plan the namespace's workloads."""
    if type is None or type == "DELETED":  # the initial listing: each workload's own event plans it
        return
    namespace = body.metadata.namespace
    workloads = list(reloadable_workloads.get(namespace, []))
    if workloads:  # most namespaces have no annotated workload: nothing to plan
        await sync(memo, namespace, workloads, reloadable_workloads)


async def sync(
    memo: kopf.Memo,
    namespace: str,
    workloads: Iterable[Workload],
    all_workloads: Workloads,
) -> None:
    """Restart those of `workloads` that need it, planned from the index and the store as they are now."""
    runtime: Runtime = memo.runtime
    state: ReloadState = memo.reload
    async with state.locks.setdefault(namespace, asyncio.Lock()):
        current: Mapping[str, IssuedCertificate] = runtime.secrets.issued_in(namespace)
        try:
            done = await reload.reload_workloads(runtime.kube, workloads, current)
        except ApiException as exc:
            log.warning(
                "Kubernetes API error while restarting workloads; retrying soon",
                extra={"namespace": namespace, "status": exc.status},
            )
            _retry_later(memo, state, namespace, all_workloads)
            return
    for restarted in done:
        message = f"Restarting for the renewed certificate in {', '.join(restarted.renewed)}"
        target = restarted.workload.event_target()
        runtime.events.post(target, "Normal", reasons.RESTARTED_FOR_RENEWAL, message)


def _retry_later(memo: kopf.Memo, state: ReloadState, namespace: str, workloads: Workloads) -> None:
    if namespace in state.retries:
        return

    async def retry() -> None:
        await asyncio.sleep(RETRY_AFTER_API_ERROR.total_seconds())
        del state.retries[namespace]
        await sync(memo, namespace, list(workloads.get(namespace, [])), workloads)

    state.retries[namespace] = asyncio.create_task(retry())
