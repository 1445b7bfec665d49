"""Adopting a tls Secret cert-manager wrote for a Certificate of the same name: the metadata-only patch
that marks it as evercert's (adoption.py says which Secrets count)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..api.certificate import CertificateSpec, IssuerRef
from ..core import constants
from ..kube.client import Kube, patch_secret_metadata
from ..pki import certificate_info, parse_pem_chain
from . import adoption
from .tls_secret import decode_field, own_annotations


def adoptable_by(spec: CertificateSpec, secret: Mapping[str, Any]) -> bool:
    """cert-manager wrote the Secret for this Certificate and evercert has not marked it yet."""
    annotations = (secret.get("metadata") or {}).get("annotations") or {}
    return adoption.written_by_cert_manager_for(annotations, spec.name)


def adoption_marking(
    spec: CertificateSpec, secret: Mapping[str, Any], issuer: IssuerRef
) -> dict[str, Any] | None:
    """The labels and annotations that make a Secret cert-manager wrote for this Certificate evercert's
    (its own stay); None for any other Secret."""
    if not adoptable_by(spec, secret):
        return None
    info = certificate_info(parse_pem_chain(decode_field(secret, constants.TLS_CERT))[0])
    marking: dict[str, Any] = {
        "labels": {constants.LABEL_MANAGED_BY: constants.MANAGED_BY},
        "annotations": own_annotations(spec, issuer.name, issuer.kind, info.serial_hex),
    }
    owners = (secret.get("metadata") or {}).get("ownerReferences") or []
    kept = [owner for owner in owners if not adoption.owned_by_cert_manager(owner)]
    if len(kept) != len(owners):  # else removing cert-manager's Certificate would delete the Secret
        marking["ownerReferences"] = kept
    return marking


async def adopt(kube: Kube, spec: CertificateSpec, secret: Mapping[str, Any], issuer: IssuerRef) -> bool:
    """Mark a Secret cert-manager wrote as evercert's, without touching its data; False for others."""
    marking = adoption_marking(spec, secret, issuer)
    if marking is None:
        return False
    await patch_secret_metadata(kube, spec.namespace, spec.secret_name, marking)
    return True
