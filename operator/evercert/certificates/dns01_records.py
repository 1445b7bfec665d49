"""The DNS-01 values of one Certificate's attempt: where they are recorded (status), what presents and
removes them, and the removal of values an earlier attempt (or a crashed operator) left."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ..api.certificate import CertificateSpec, parse_certificate
from ..api.issuer import IssuerSpec, parse_issuer
from ..core.errors import EvercertError, InvalidSpec
from ..dns01.lookups import Lookups
from ..dns01.presenting import Dns01Context
from ..issuers.lookup import IssuerLookup
from ..kube.client import patch_certificate_status, read_secret
from . import authorizing
from .parts import IssuanceParts
from .status import StoredOrder, parse_status

log = logging.getLogger(__name__)


def for_attempt(
    parts: IssuanceParts, spec: CertificateSpec, issuer: IssuerSpec, stored: StoredOrder | None
) -> authorizing.Dns01Records:
    """The attempt's records, starting with those the stored order lists (left by an earlier one)."""
    dns = authorizing.Dns01Records(dns01_context(parts, spec, issuer), _status_writer(parts, spec))
    dns.records += stored.dns_records if stored else ()
    return dns


async def remove_left(
    parts: IssuanceParts, issuers: IssuerLookup, spec: CertificateSpec, order: StoredOrder
) -> None:
    """Remove the DNS-01 values an attempt recorded, through the solvers of the issuer that made them."""
    issuer = _recorded_issuer(issuers, spec, order.issuer)
    if issuer is None:
        log.warning(
            "DNS-01 values left: their issuer is gone",
            extra={"certificate": f"{spec.namespace}/{spec.name}", "issuer": order.issuer},
        )
        return
    await for_attempt(parts, spec, issuer, order).clean_up()


async def remove_on_deletion(parts: IssuanceParts, issuers: IssuerLookup, body: Mapping[str, Any]) -> None:
    """A deleted Certificate's last status may list DNS-01 values in place: remove them (nothing owns a
    TXT record, so no garbage collector would)."""
    order = parse_status(body.get("status")).order
    if order is None or not order.dns_records:
        return
    try:
        spec = parse_certificate(body)
    except InvalidSpec:
        return
    try:
        await remove_left(parts, issuers, spec, order)
    except EvercertError as exc:
        log.warning(
            "DNS-01 values of a deleted Certificate not removed",
            extra={"certificate": f"{spec.namespace}/{spec.name}", "error": exc.message},
        )


def _recorded_issuer(issuers: IssuerLookup, spec: CertificateSpec, label: str) -> IssuerSpec | None:
    kind, _, name = label.partition("/")
    for ref in spec.issuer_refs:
        if ref.kind == kind and ref.name == name:
            body = issuers(spec.issuer_key(ref))
            try:
                return parse_issuer(body, kind) if body else None
            except InvalidSpec:
                return None
    return None


def dns01_context(parts: IssuanceParts, spec: CertificateSpec, issuer: IssuerSpec) -> Dns01Context:
    """DNS-01's dependencies for `spec` with `issuer`: a ClusterIssuer's Secrets are in the operator's
    cluster-resource namespace, an Issuer's in the Certificate's."""
    settings = parts.settings
    namespace = spec.namespace if issuer.kind == "Issuer" else settings.cluster_resource_namespace
    return Dns01Context(
        lookups=Lookups(settings.dns01_nameservers, settings.dns01_authoritative_port),
        read_secret=lambda ns, name: read_secret(parts.kube, ns, name),
        namespace=namespace,
        clock=parts.clock,
        solvers=authorizing.dns01_solvers(issuer),
        kube=parts.kube,
    )


def _status_writer(parts: IssuanceParts, spec: CertificateSpec) -> authorizing.StatusWriter:
    async def write(patch: Mapping[str, Any]) -> None:
        await patch_certificate_status(parts.kube, spec.namespace, spec.name, patch)
        parts.own_writes.wrote(spec.namespace, spec.name, patch)

    return write
