"""What an annotated Ingress asks for: a Certificate per secretName in its tls entries, and what is wrong."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..api.certificate import parse_certificate
from ..core.errors import InvalidSpec
from .annotations import ShimOptions, effective_annotations, issuer_ref, spec_fields
from .bodies import SHIM_ANNOTATIONS, certificate_body
from .model import INGRESS, DesiredCertificate, OwnerRef, ShimRequest, Source


def ingress_request(body: Mapping[str, Any], options: ShimOptions) -> ShimRequest | None:
    """The Certificates an Ingress asks for; None when its annotations do not ask evercert for any."""
    return shim_request(body, options, _hosts_by_secret(body.get("spec") or {}), SHIM_ANNOTATIONS)


def shim_request(
    body: Mapping[str, Any],
    options: ShimOptions,
    hosts_by_secret: tuple[dict[str, list[str]], list[str]],
    carried: tuple[str, ...] = (),
    source: Source = INGRESS,
) -> ShimRequest | None:
    """The Certificates an annotated object asks for: one per Secret, for the hosts `hosts_by_secret`
    gives it (with what is wrong in the object), the issuer and settings from the annotations, and the
    `carried` annotations copied onto each; None when its annotations do not ask evercert for any."""
    metadata = body.get("metadata") or {}
    annotations = effective_annotations(metadata.get("annotations") or {}, options)
    ref = OwnerRef(metadata.get("name", ""), metadata.get("uid", ""), metadata.get("creationTimestamp", ""))
    try:
        issuer = issuer_ref(annotations, options)
        if issuer is None:
            return None
        fields = spec_fields(annotations)
    except InvalidSpec as exc:
        return ShimRequest(ref, (), (exc.message,))
    extra = {k: annotations[k] for k in carried if annotations.get(k)}
    hosts, problems = hosts_by_secret
    certificates = []
    for secret_name, names in hosts.items():
        desired = DesiredCertificate(
            secret_name,
            {"secretName": secret_name, "dnsNames": names, "issuerRef": issuer, **fields},
            extra,
        )
        try:
            parse_certificate(certificate_body(desired, metadata.get("namespace", ""), ref, source))
        except InvalidSpec as exc:
            problems.append(f"the Certificate for Secret {secret_name!r} would be invalid: {exc.message}")
            continue
        certificates.append(desired)
    return ShimRequest(ref, tuple(certificates), tuple(problems))


def _hosts_by_secret(spec: Mapping[str, Any]) -> tuple[dict[str, list[str]], list[str]]:
    """spec.tls as secretName → hosts (entries sharing a secretName are merged), and the unusable entries."""
    hosts: dict[str, list[str]] = {}
    problems: list[str] = []
    entries = spec.get("tls") or []
    if not entries:
        problems.append("the Ingress has no spec.tls entries: add one with hosts and a secretName")
    for i, entry in enumerate(entries):
        secret_name, names = entry.get("secretName"), entry.get("hosts") or []
        if not secret_name:
            problems.append(f"spec.tls[{i}] has no secretName: name the Secret evercert should write")
        elif not names:
            problems.append(f"spec.tls[{i}] (secretName {secret_name!r}) lists no hosts to certify")
        else:
            merged = hosts.setdefault(secret_name, [])
            merged.extend(name for name in names if name not in merged)
    return hosts, problems
