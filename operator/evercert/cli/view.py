"""What the commands show of a Certificate object, read leniently from its body (any field may be missing)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..core import reasons
from .formatting import parse_time


@dataclass(frozen=True)
class CertificateView:
    namespace: str
    name: str
    secret_name: str
    issuer_name: str
    issuer_kind: str
    ready: str  # "True", "False" or "Unknown" (no Ready condition yet)
    reason: str
    message: str
    not_after: datetime.datetime | None
    renewal_time: datetime.datetime | None
    created: datetime.datetime | None
    revision: int | None


def certificate_view(body: Mapping[str, Any]) -> CertificateView:
    metadata = body.get("metadata") or {}
    spec = body.get("spec") or {}
    status = body.get("status") or {}
    issuer = spec.get("issuerRef") or {}
    conditions = [c for c in status.get("conditions") or [] if isinstance(c, Mapping)]
    ready = next((c for c in conditions if c.get("type") == reasons.READY), {})
    revision = status.get("revision")
    return CertificateView(
        namespace=str(metadata.get("namespace") or ""),
        name=str(metadata.get("name") or ""),
        secret_name=str(spec.get("secretName") or ""),
        issuer_name=str(issuer.get("name") or ""),
        issuer_kind=str(issuer.get("kind") or "Issuer"),
        ready=str(ready.get("status") or "Unknown"),
        reason=str(ready.get("reason") or ""),
        message=str(ready.get("message") or ""),
        not_after=parse_time(status.get("notAfter")),
        renewal_time=parse_time(status.get("renewalTime")),
        created=parse_time(metadata.get("creationTimestamp")),
        revision=revision if isinstance(revision, int) else None,
    )
