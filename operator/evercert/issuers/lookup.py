"""Find a Certificate's issuer in the in-memory index, and say why it cannot be used yet."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import conditions
from ..api.certificate import CertificateSpec, IssuerRef
from ..api.issuer import IssuerKey, IssuerSpec, parse_issuer
from ..core import reasons
from ..core.errors import InvalidSpec, IssuerNotFound, IssuerNotReady

IssuerLookup = Callable[[IssuerKey], Mapping[str, Any] | None]

Index = Mapping[Any, Iterable[Any]]


@dataclass
class Indexes:
    """kopf's in-memory indexes of Issuers the looks read (kopf fills them before any handler runs)."""

    issuers: Index = field(default_factory=dict)
    cluster_issuers: Index = field(default_factory=dict)

    def issuer(self, key: IssuerKey) -> Mapping[str, Any] | None:
        return first_in_index(self.cluster_issuers if key.kind == "ClusterIssuer" else self.issuers, key)


def first_in_index(
    index: Mapping[IssuerKey, Iterable[Mapping[str, Any]]], key: IssuerKey
) -> Mapping[str, Any] | None:
    """The body a kopf index holds for `key` (one per issuer), or None."""
    return next(iter(index.get(key, [])), None)


def resolve_issuer(
    spec: CertificateSpec, lookup: IssuerLookup, ref: IssuerRef | None = None
) -> tuple[IssuerSpec, str]:
    """The referenced issuer (or `ref`, a fallback) and its account URI; raise when it is missing or
    not ready."""
    key = spec.issuer_key(ref)
    body = lookup(key)
    where = f" in namespace {spec.namespace!r}" if key.namespace else ""
    if body is None:
        raise IssuerNotFound(f"{key.kind} {key.name!r} not found{where}")
    try:
        issuer = parse_issuer(body, key.kind)
    except InvalidSpec as exc:
        raise IssuerNotReady(f"{key.kind} {key.name!r} is invalid: {exc.message}") from None
    status = body.get("status") or {}
    ready = conditions.find(status.get("conditions"), reasons.READY)
    uri = (status.get("acme") or {}).get("uri")
    if not ready or ready.get("status") != "True" or not uri:
        detail = (ready or {}).get("message") or "its ACME account is not registered yet"
        raise IssuerNotReady(f"{key.kind} {key.name!r} is not ready: {detail}")
    return issuer, uri
