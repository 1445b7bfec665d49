"""cert-manager Certificates as evercert's: the same name and spec, with cert-manager's defaults that
differ from evercert's written out, so that the first renewal changes neither key type nor lifetime."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ..api.certificate import parse_certificate
from ..api.issuer import IssuerKey
from ..core import constants
from ..core.errors import InvalidSpec
from .outcome import Conversion, refused

# cert-manager's defaults (its API reference, cert-manager.io/v1 CertificateSpec). renewBefore is not
# written: unset, both renew when a third of the certificate's actual lifetime is left.
DEFAULT_DURATION = "2160h"  # 90 days
DEFAULT_KEY_SIZES = {"RSA": 2048, "ECDSA": 256}
DEFAULT_ROTATION_POLICY = "Always"  # since cert-manager 1.18 (Never before)
COPIED = (
    "secretName",
    "commonName",
    "dnsNames",
    "ipAddresses",
    "renewBefore",
    "renewBeforePercentage",
    "secretTemplate",
)
# Copied as they are for the output formats and keystores of the same names.
COPIED_FORMATS = ("additionalOutputFormats", "keystores")
# What an ACME CA ignores or decides itself: left out, with a note.
IGNORED = (
    "subject",
    "literalSubject",
    "usages",
    "encodeUsagesInRequest",
    "revisionHistoryLimit",
    "signatureAlgorithm",
)
# What an ACME CA cannot put in a certificate: such a Certificate stays behind.
NOT_ACME = ("uris", "emailAddresses", "otherNames", "nameConstraints")
SHIM_OWNERS = ("Ingress", "Gateway")
DROPPED_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)


def issuer_key(namespace: str, ref: Mapping[str, Any]) -> IssuerKey:
    kind = str(ref.get("kind") or "Issuer")
    return IssuerKey(kind, namespace if kind == "Issuer" else None, str(ref.get("name") or ""))


def convert_certificate(body: Mapping[str, Any], issuers: Mapping[IssuerKey, Conversion]) -> Conversion:
    """evercert's Certificate for a cert-manager one; `issuers` are the conversions of its issuers."""
    metadata = body.get("metadata") or {}
    name, namespace = str(metadata.get("name") or ""), str(metadata.get("namespace") or "")
    spec = body.get("spec") or {}

    def no(reason: str) -> Conversion:
        return refused("Certificate", namespace, name, reason)

    ref = spec.get("issuerRef") or {}
    if ref.get("group") not in (None, "", constants.CERT_MANAGER_GROUP, constants.GROUP):
        return no(f"issued by an external issuer ({ref.get('group')}): evercert issues only from ACME CAs")
    key = issuer_key(namespace, ref)
    issuer = issuers.get(key)
    if issuer is None:
        return no(f"its {key.kind} {key.name!r} was not found")
    if not issuer.moved:
        return no(f"its {key.kind} {key.name!r} was not moved: {issuer.refusal}")
    found = [field for field in NOT_ACME if spec.get(field)]
    if spec.get("isCA"):
        found.append("isCA")
    if found:
        return no(f"spec.{', spec.'.join(found)}: ACME CAs issue only DNS names and IP addresses")
    private_key, why = _private_key(spec.get("privateKey") or {})
    if private_key is None:
        return no(str(why))
    notes = [f"spec.{field} left out: the ACME CA decides it" for field in IGNORED if field in spec]
    converted: dict[str, Any] = {field: copy.deepcopy(spec[field]) for field in COPIED if field in spec}
    for field in COPIED_FORMATS:
        if field in spec:
            converted[field] = copy.deepcopy(spec[field])
            notes.append(f"spec.{field} copied as it is")
    converted["issuerRef"] = {"name": key.name, "kind": key.kind, "group": constants.GROUP}
    converted["duration"] = spec.get("duration") or DEFAULT_DURATION
    converted["privateKey"] = private_key
    if "duration" not in spec:
        notes.append(f"spec.duration {DEFAULT_DURATION} written out (cert-manager's default)")
    written = [f for f in ("algorithm", "size", "rotationPolicy") if f not in (spec.get("privateKey") or {})]
    if written:
        notes.append(f"spec.privateKey.{', '.join(written)} written out (cert-manager's defaults)")
    result = {
        "apiVersion": constants.API_VERSION,
        "kind": constants.CERTIFICATE_KIND,
        "metadata": _metadata(metadata, namespace, name),
        "spec": converted,
    }
    try:
        parse_certificate(result)
    except InvalidSpec as exc:
        return no(f"evercert would refuse it: {exc.message}")
    return Conversion("Certificate", namespace, name, result, notes=tuple(notes))


def _private_key(given: Mapping[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    algorithm = str(given.get("algorithm") or "RSA")
    if algorithm not in DEFAULT_KEY_SIZES:
        return None, f"spec.privateKey.algorithm {algorithm}: evercert makes RSA and ECDSA keys"
    result = {
        "algorithm": algorithm,
        "size": int(given.get("size") or DEFAULT_KEY_SIZES[algorithm]),
        "rotationPolicy": str(given.get("rotationPolicy") or DEFAULT_ROTATION_POLICY),
    }
    return result, None


def _metadata(metadata: Mapping[str, Any], namespace: str, name: str) -> dict[str, Any]:
    given = metadata.get("annotations") or {}
    annotations = {k: v for k, v in given.items() if k not in DROPPED_ANNOTATIONS}
    origin = f"{constants.CERT_MANAGER_API_VERSION}/Certificate/{namespace}/{name}"
    result: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "annotations": {**annotations, constants.ANNOTATION_MIGRATED_FROM: origin},
    }
    if metadata.get("labels"):
        result["labels"] = dict(metadata["labels"])
    owners = [dict(o) for o in metadata.get("ownerReferences") or [] if o.get("kind") in SHIM_OWNERS]
    if owners:
        result["ownerReferences"] = owners
    return result
