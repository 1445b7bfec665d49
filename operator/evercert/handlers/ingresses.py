"""The ingress-shim's wiring. Users' Ingresses are only indexed and watched, never written to: no kopf
change handlers, so kopf puts no annotations or finalizers on them.

Each change to an Ingress, or to a Certificate the shim cares about, re-plans the whole namespace from
the two indexes (ingress_shim.plan), so the outcome never depends on the order of events.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from dataclasses import dataclass, field
from typing import Any

import kopf
from kubernetes_asyncio.client.exceptions import ApiException

from .. import constants, ingress_shim
from ..ingress_shim import Delete, ExistingCertificate, IngressRequest, Report, ShimOptions, Write
from ..kube import certificates as kube_certificates
from ..runtime import Runtime
from ..settings import Settings

log = logging.getLogger(__name__)

INGRESSES = ("networking.k8s.io", "v1", "ingresses")
USERS_INGRESSES = {constants.LABEL_SOLVER: kopf.ABSENT}  # the solver's own Ingresses are not asking
RETRY_AFTER_API_ERROR = 10.0

Requests = kopf.Index[str, IngressRequest]
Certificates = kopf.Index[str, ExistingCertificate]


@dataclass
class ShimState:
    """In memory only: one plan at a time per namespace; what was last reported, so Events don't repeat."""

    locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    conflicts: dict[tuple[str, str], str] = field(default_factory=dict)  # by Certificate
    problems: dict[str, str] = field(default_factory=dict)  # by Ingress uid
    retries: dict[str, asyncio.Task[None]] = field(default_factory=dict)  # at most one per namespace


def options(settings: Settings) -> ShimOptions:
    default = (settings.default_issuer_kind, settings.default_issuer_name)
    return ShimOptions(settings.cert_manager_annotations, default if settings.default_issuer_name else None)


@kopf.on.startup()
async def start_shim(memo: kopf.Memo, **_: Any) -> None:
    memo.ingress_shim = ShimState()


@kopf.on.cleanup()
async def stop_shim(memo: kopf.Memo, **_: Any) -> None:
    state: ShimState = memo.ingress_shim
    for task in state.retries.values():
        task.cancel()


@kopf.index(*INGRESSES, labels=USERS_INGRESSES)
async def ingress_requests(body: kopf.Body, memo: kopf.Memo, **_: Any) -> dict[str, IngressRequest]:
    """namespace → what each annotated Ingress asks for ({} un-indexes an Ingress no longer annotated)."""
    runtime: Runtime = memo.runtime
    request = ingress_shim.ingress_request(body, options(runtime.settings))
    return {} if request is None else {body.metadata.namespace: request}


@kopf.index(constants.GROUP, constants.VERSION, constants.CERTIFICATES)
async def namespace_certificates(body: kopf.Body, **_: Any) -> dict[str, ExistingCertificate]:
    return {body.metadata.namespace: ingress_shim.existing_certificate(body)}


@kopf.on.event(*INGRESSES, labels=USERS_INGRESSES)
async def ingress_changed(
    body: kopf.Body,
    memo: kopf.Memo,
    ingress_requests: Requests,
    namespace_certificates: Certificates,
    **_: Any,
) -> None:
    namespace = body.metadata.namespace
    requests = _requests(ingress_requests, namespace)
    request = next((r for r in requests if r.ingress.uid == body.metadata.uid), None)
    _report_problems(memo.ingress_shim, body, request.problems if request else ())
    await sync(memo, namespace, ingress_requests, namespace_certificates)


@kopf.on.event(constants.GROUP, constants.VERSION, constants.CERTIFICATES)
async def shim_certificate_changed(
    body: kopf.Body,
    memo: kopf.Memo,
    ingress_requests: Requests,
    namespace_certificates: Certificates,
    **_: Any,
) -> None:
    namespace = body.metadata.namespace
    existing = ingress_shim.existing_certificate(body)
    if ingress_shim.concerns_shim(existing, _requests(ingress_requests, namespace)):
        await sync(memo, namespace, ingress_requests, namespace_certificates)


async def sync(memo: kopf.Memo, namespace: str, requests: Requests, certificates: Certificates) -> None:
    """Plan the namespace from the indexes as they are now, and carry the plan out."""
    runtime: Runtime = memo.runtime
    state: ShimState = memo.ingress_shim
    async with state.locks.setdefault(namespace, asyncio.Lock()):
        existing = {c.name: c for c in certificates.get(namespace, [])}
        try:
            for action in ingress_shim.plan(_requests(requests, namespace), existing):
                await _carry_out(runtime, state, namespace, action)
        except ApiException as exc:
            log.warning(
                "Kubernetes API error in the ingress-shim; retrying soon",
                extra={"namespace": namespace, "status": exc.status},
            )
            _retry_later(memo, state, namespace, requests, certificates)


def _requests(requests: Requests, namespace: str) -> list[IngressRequest]:
    return list(requests.get(namespace, []))


def _retry_later(
    memo: kopf.Memo, state: ShimState, namespace: str, requests: Requests, certificates: Certificates
) -> None:
    if namespace in state.retries:
        return

    async def retry() -> None:
        await asyncio.sleep(RETRY_AFTER_API_ERROR)
        del state.retries[namespace]
        await sync(memo, namespace, requests, certificates)

    state.retries[namespace] = asyncio.create_task(retry())


async def _carry_out(runtime: Runtime, state: ShimState, namespace: str, action: ingress_shim.Action) -> None:
    kube = runtime.kube
    if isinstance(action, Write) and action.existing is None:
        body = ingress_shim.certificate_body(action.desired, namespace, action.owner)
        if await kube_certificates.create_certificate(kube, body):
            log.info("Certificate made from an Ingress", extra=_about(namespace, action.desired.name, action))
    elif isinstance(action, Write):
        current = await kube_certificates.read_certificate(kube, namespace, action.desired.name)
        if current is not None and current["metadata"]["uid"] == action.existing.uid:
            updated = ingress_shim.updated_certificate(current, action.desired, action.owner)
            await kube_certificates.replace_certificate(kube, updated)
    elif isinstance(action, Delete):
        await kube_certificates.delete_certificate(kube, namespace, action.existing.name, action.existing.uid)
    else:
        await _report_conflict(runtime, state, namespace, action)


async def _report_conflict(runtime: Runtime, state: ShimState, namespace: str, report: Report) -> None:
    """The conflict condition on the Certificate; a Warning on it and on each Ingress involved, once."""
    current = await kube_certificates.read_certificate(runtime.kube, namespace, report.certificate.name)
    if current is None or current["metadata"]["uid"] != report.certificate.uid:
        return
    conds = ingress_shim.conflict_conditions(
        (current.get("status") or {}).get("conditions"),
        report.message,
        int(current["metadata"].get("generation") or 0),
        datetime.datetime.now(datetime.UTC),
    )
    await kube_certificates.patch_certificate_conditions(runtime.kube, current, conds)
    key = (namespace, report.certificate.name)
    if report.message is None:
        state.conflicts.pop(key, None)
    elif state.conflicts.get(key) != report.message:
        state.conflicts[key] = report.message
        targets = [current, *(ingress.event_target(namespace) for ingress in report.ingresses)]
        kopf.event(targets, type="Warning", reason=ingress_shim.REASON_CONFLICT, message=report.message)


def _report_problems(state: ShimState, body: kopf.Body, problems: tuple[str, ...]) -> None:
    """A Warning on the Ingress when what is wrong with it changes (a deleted one has none)."""
    key, message = body.metadata.uid, "; ".join(problems)
    if not message:
        state.problems.pop(key, None)
    elif state.problems.get(key) != message:
        state.problems[key] = message
        kopf.event(body, type="Warning", reason=ingress_shim.REASON_INVALID, message=message)


def _about(namespace: str, name: str, action: Write) -> dict[str, str]:
    return {"certificate": f"{namespace}/{name}", "ingress": action.owner.name}
