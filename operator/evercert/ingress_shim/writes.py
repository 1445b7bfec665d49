"""The plan carried out against the API server, and the Warnings the shim posts.

Each write reads the Certificate first and acts only on the one the plan saw (same uid): a Certificate
deleted and made again meanwhile is left to the watch event its creation causes.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from ..core import reasons
from ..events import EventRecorder
from ..kube import certificates as kube_certificates
from ..kube.client import Kube
from .bodies import certificate_body, updated_certificate
from .model import OwnerRef, Source
from .plan import Delete, Report, Write, conflict_conditions

log = logging.getLogger(__name__)


async def write(kube: Kube, namespace: str, action: Write, source: Source) -> None:
    """Create the Certificate, or bring the one the plan saw in line."""
    if action.existing is None:
        body = certificate_body(action.desired, namespace, action.owner, source)
        if await kube_certificates.create_certificate(kube, body):
            extra = {
                "certificate": f"{namespace}/{action.desired.name}",
                source.kind.lower(): action.owner.name,
            }
            log.info("Certificate made from annotations", extra=extra)
        return
    current = await _read_same(kube, namespace, action.existing.name, action.existing.uid)
    if current is not None:
        updated = updated_certificate(current, action.desired, action.owner, source)
        await kube_certificates.replace_certificate(kube, updated)


async def delete(kube: Kube, namespace: str, action: Delete) -> None:
    await kube_certificates.delete_certificate(kube, namespace, action.existing.name, action.existing.uid)


async def set_conflict(
    kube: Kube, namespace: str, report: Report, now: datetime.datetime, source: Source
) -> dict[str, Any] | None:
    """Set or clear the conflict condition; the Certificate as read, None when it is gone or another."""
    current = await _read_same(kube, namespace, report.certificate.name, report.certificate.uid)
    if current is None:
        return None
    conds = conflict_conditions(
        (current.get("status") or {}).get("conditions"),
        report.message,
        int(current["metadata"].get("generation") or 0),
        now,
        source,
    )
    await kube_certificates.patch_certificate_conditions(kube, current, conds)
    return current


def warn_conflict(
    recorder: EventRecorder,
    certificate: Mapping[str, Any],
    owners: Iterable[OwnerRef],
    namespace: str,
    message: str,
    source: Source,
) -> None:
    """A Warning on the Certificate and on each Ingress (Gateway) involved."""
    for target in [certificate, *(event_target(owner, namespace, source) for owner in owners)]:
        recorder.post(target, "Warning", reasons.SECRET_NAME_CONFLICT, message)


def warn_invalid(recorder: EventRecorder, body: Mapping[str, Any], message: str, source: Source) -> None:
    recorder.post(body, "Warning", source.invalid_reason, message)


def event_target(owner: OwnerRef, namespace: str, source: Source) -> dict[str, Any]:
    """What an Event about this Ingress (Gateway) needs to name it."""
    return {
        "apiVersion": source.api_version,
        "kind": source.kind,
        "metadata": {"name": owner.name, "namespace": namespace, "uid": owner.uid},
    }


async def _read_same(kube: Kube, namespace: str, name: str, uid: str) -> dict[str, Any] | None:
    current = await kube_certificates.read_certificate(kube, namespace, name)
    return current if current is not None and current["metadata"]["uid"] == uid else None
