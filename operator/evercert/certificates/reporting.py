"""What a Certificate shows after each look, for the metrics: no request, just the status as written."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import metrics
from ..core import constants, reasons
from .status import parse_status


def observe(body: Mapping[str, Any], patch: Mapping[str, Any]) -> None:
    """Record the Certificate as its status stands once `patch` is applied."""
    meta = body.get("metadata") or {}
    issuer = (body.get("spec") or {}).get("issuerRef") or {}
    status = parse_status({**(body.get("status") or {}), **patch})
    ready = status.condition(reasons.READY)
    issuing = status.condition(reasons.ISSUING)
    metrics.observe_certificate(
        meta["namespace"],
        meta["name"],
        issuer.get("kind") or "Issuer",
        issuer.get("name") or "",
        status.not_before,
        status.not_after,
        status.renewal_time,
        None if ready is None else ready.get("status") == "True",
        issuing=issuing is not None and issuing.get("status") == "True",
        issuer_group=issuer.get("group") or constants.GROUP,
    )


def forget(namespace: str, name: str) -> None:
    metrics.forget_certificate(namespace, name)


def issuance_ended(success: bool, reason: str) -> None:
    metrics.observe_issuance(success, reason)
