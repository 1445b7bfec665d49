"""The whole move as a plan (pure): what to create, and one report row per object, from what was read.

Nothing of cert-manager's is ever written: its objects are read, evercert's are created beside them,
and ClusterIssuers' account keys are copied into evercert's cluster-resource namespace."""

from __future__ import annotations

import base64
import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..api.certificate import parse_certificate
from ..api.issuer import IssuerKey
from ..certificates.tls_secret import check_ownership, read_contents
from ..certificates.trigger import issuance_reason
from ..core import constants, reasons
from ..core.errors import EvercertError
from .certificates import convert_certificate
from .issuers import convert_issuer, secret_refs
from .outcome import Conversion, refused

MOVED = "moved"
UNCHANGED = "unchanged"
ADOPTED = "adopted without reissue"
REISSUED = "will be reissued"
NOT_MOVED = "not moved"
LEFT_ALONE = "left alone"
COPIED = "copied"
ANNOTATED = "annotated"
SHIM_VALUE = "ingressShim.certManagerAnnotations=true"
SHIM_ANNOTATIONS = ("cert-manager.io/issuer", "cert-manager.io/cluster-issuer", constants.ANNOTATION_TLS_ACME)

Key = tuple[str, str | None, str]  # kind, namespace (None: cluster-scoped), name


@dataclass(frozen=True)
class Inventory:
    """What was read: cert-manager's objects, the tls Secrets, evercert's objects and Secrets that exist."""

    issuers: Sequence[Mapping[str, Any]] = ()
    cluster_issuers: Sequence[Mapping[str, Any]] = ()
    certificates: Sequence[Mapping[str, Any]] = ()
    secrets: Mapping[tuple[str, str], Mapping[str, Any]] = field(default_factory=dict)
    existing: Mapping[Key, Mapping[str, Any]] = field(default_factory=dict)
    # Secrets of cert-manager's and of evercert's cluster-resource namespaces, by name.
    cert_manager_secrets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    evercert_secrets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    shim_sources: Sequence[Mapping[str, Any]] = ()  # Ingresses and Gateways


@dataclass(frozen=True)
class Row:
    kind: str
    where: str
    result: str
    detail: str = ""


@dataclass(frozen=True)
class Plan:
    creates: tuple[Mapping[str, Any], ...]
    rows: tuple[Row, ...]

    @property
    def objects(self) -> tuple[Mapping[str, Any], ...]:
        """The evercert objects to create (the Secret copies left out: they hold keys)."""
        return tuple(body for body in self.creates if body.get("kind") != "Secret")


def plan(
    inventory: Inventory, now: datetime.datetime, cert_manager_namespace: str, evercert_namespace: str
) -> Plan:
    creates: list[Mapping[str, Any]] = []
    rows: list[Row] = []
    issuers: dict[IssuerKey, Conversion] = {}
    for kind, bodies in (("ClusterIssuer", inventory.cluster_issuers), ("Issuer", inventory.issuers)):
        for body in bodies:
            conversion = convert_issuer(body, kind)
            issuers[IssuerKey(kind, conversion.namespace, conversion.name)] = conversion
            rows.append(_place(conversion, inventory, creates))
            if kind == "ClusterIssuer" and conversion.moved:
                copies = _secret_copies(body, inventory, cert_manager_namespace, evercert_namespace)
                for copy_row, copy_body in copies:
                    rows.append(copy_row)
                    if copy_body is not None:
                        creates.append(copy_body)
    for body in inventory.certificates:
        conversion = _secret_owned(convert_certificate(body, issuers), inventory)
        row = _place(conversion, inventory, creates)
        if row.result == MOVED and conversion.body is not None:
            row = _with_secret(row, conversion.body, inventory, now)
        rows.append(row)
    rows += [_shim_row(source) for source in inventory.shim_sources if _annotated(source)]
    return Plan(tuple(creates), tuple(rows))


def _place(conversion: Conversion, inventory: Inventory, creates: list[Mapping[str, Any]]) -> Row:
    """Create it unless evercert has it already: the same spec is unchanged, another is left alone."""
    if conversion.body is None:
        return Row(conversion.kind, conversion.where, NOT_MOVED, str(conversion.refusal))
    existing = inventory.existing.get((conversion.kind, conversion.namespace, conversion.name))
    notes = "; ".join(conversion.notes)
    if existing is None:
        creates.append(conversion.body)
        return Row(conversion.kind, conversion.where, MOVED, notes)
    if existing.get("spec") == conversion.body["spec"]:
        return Row(conversion.kind, conversion.where, UNCHANGED, "")
    return Row(
        conversion.kind,
        conversion.where,
        LEFT_ALONE,
        f"an evercert {conversion.kind} of that name exists with another spec",
    )


def _secret_owned(conversion: Conversion, inventory: Inventory) -> Conversion:
    """A Certificate whose secretName holds a Secret neither cert-manager nor evercert wrote for it stays
    behind: the operator would refuse to overwrite it."""
    if conversion.body is None:
        return conversion
    spec = parse_certificate(conversion.body)
    secret = inventory.secrets.get((spec.namespace, spec.secret_name))
    try:
        if secret is not None:
            check_ownership(secret, spec)
    except EvercertError as exc:
        return refused(conversion.kind, conversion.namespace, conversion.name, exc.message)
    return conversion


def _with_secret(row: Row, body: Mapping[str, Any], inventory: Inventory, now: datetime.datetime) -> Row:
    """What the operator will do with the tls Secret: adopt it, or issue, and why."""
    spec = parse_certificate(body)
    secret = inventory.secrets.get((spec.namespace, spec.secret_name))
    if secret is None:
        return Row(row.kind, row.where, REISSUED, _joined("the Secret does not exist", row.detail))
    annotations = (secret.get("metadata") or {}).get("annotations") or {}
    if annotations.get(constants.ANNOTATION_CERTIFICATE_NAME) == spec.name:
        return row  # evercert's already
    reason = issuance_reason(spec, read_contents(secret), now)
    if reason is None or reason in reasons.STILL_SERVING:
        detail = f"{spec.secret_name} kept" + ("; due for renewal" if reason else "")
        return Row(row.kind, row.where, ADOPTED, _joined(detail, row.detail))
    return Row(row.kind, row.where, REISSUED, _joined(reasons.ISSUANCE_TEXT[reason], row.detail))


def _secret_copies(
    issuer: Mapping[str, Any], inventory: Inventory, source_namespace: str, target_namespace: str
) -> list[tuple[Row, Mapping[str, Any] | None]]:
    """A ClusterIssuer's account key (and EAB key, DNS-01 credentials) Secrets, copied so that the same
    ACME account (and the same DNS credentials) are used; keys of one Secret go into one copy."""
    name = (issuer.get("metadata") or {}).get("name")
    result: list[tuple[Row, Mapping[str, Any] | None]] = []
    copies: dict[str, dict[str, Any]] = {}
    for ref, target_field, what in secret_refs(issuer):
        secret_name = str(ref.get("name") or "")
        source_field = ref.get("key") or target_field
        where = f"{target_namespace}/{secret_name}"
        value = ((inventory.cert_manager_secrets.get(secret_name) or {}).get("data") or {}).get(source_field)
        same = "the same ACME account" if what in ("account key", "EAB key") else "the same credentials"
        if not value:
            detail = f"{what} of ClusterIssuer {name}: none in {source_namespace}/{secret_name}"
            if what == "account key":
                detail += "; a new ACME account will be registered"
            result.append((Row("Secret", where, NOT_MOVED, detail), None))
            continue
        existing = ((inventory.evercert_secrets.get(secret_name) or {}).get("data") or {}).get(target_field)
        if existing == value:
            result.append((Row("Secret", where, UNCHANGED, f"{what} of ClusterIssuer {name}"), None))
        elif existing is not None:
            detail = f"{what} of ClusterIssuer {name}: a Secret of that name holds another key"
            result.append((Row("Secret", where, LEFT_ALONE, detail), None))
        elif secret_name in inventory.evercert_secrets:
            detail = f"{what} of ClusterIssuer {name}: a Secret of that name exists without {target_field!r}"
            result.append((Row("Secret", where, LEFT_ALONE, detail), None))
        elif secret_name in copies:
            base64.b64decode(value, validate=True)
            copies[secret_name]["data"][target_field] = value
            detail = f"{what} of ClusterIssuer {name}, from {source_namespace}: {same}"
            result.append((Row("Secret", where, COPIED, detail), None))
        else:
            body = _copy(
                secret_name, target_namespace, target_field, value, f"{source_namespace}/{secret_name}"
            )
            copies[secret_name] = body
            detail = f"{what} of ClusterIssuer {name}, from {source_namespace}: {same}"
            result.append((Row("Secret", where, COPIED, detail), body))
    return result


def _copy(name: str, namespace: str, key: str, value: str, origin: str) -> dict[str, Any]:
    base64.b64decode(value, validate=True)  # as read from the API: base64 already
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {constants.LABEL_MANAGED_BY: constants.MANAGED_BY},
            "annotations": {constants.ANNOTATION_MIGRATED_FROM: f"v1/Secret/{origin}"},
        },
        "data": {key: value},
    }


def _annotated(source: Mapping[str, Any]) -> bool:
    annotations = (source.get("metadata") or {}).get("annotations") or {}
    return any(key in annotations for key in SHIM_ANNOTATIONS)


def _shim_row(source: Mapping[str, Any]) -> Row:
    metadata = source.get("metadata") or {}
    where = f"{metadata.get('namespace')}/{metadata.get('name')}"
    detail = f"cert-manager's annotations: honoured with the chart value {SHIM_VALUE}"
    return Row(str(source.get("kind") or "Ingress"), where, ANNOTATED, detail)


def _joined(*parts: str) -> str:
    return "; ".join(part for part in parts if part)
