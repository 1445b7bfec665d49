"""tls Secrets that cert-manager wrote for a Certificate of the same name: taken over without a new
order while they serve the spec, and marked with evercert's annotations beside cert-manager's (which stay,
so that going back to cert-manager works)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from cryptography import x509

from ..core import constants
from ..pki import signed_by

CERTIFICATE_NAME = constants.CERT_MANAGER_ANNOTATION_CERTIFICATE_NAME
ISSUER_NAME = constants.CERT_MANAGER_ANNOTATION_ISSUER_NAME
ISSUER_KIND = constants.CERT_MANAGER_ANNOTATION_ISSUER_KIND
ISSUER_GROUP = constants.CERT_MANAGER_ANNOTATION_ISSUER_GROUP
READ_ANNOTATIONS = (CERTIFICATE_NAME, ISSUER_NAME, ISSUER_KIND, ISSUER_GROUP)
# issuer-group values that name an ACME issuer migrated under the same name ("" as cert-manager writes
# for its own group when issuerRef.group is unset).
ISSUER_GROUPS = ("", constants.CERT_MANAGER_GROUP, constants.GROUP)


def written_by_cert_manager_for(annotations: Mapping[str, str], certificate_name: str) -> bool:
    """cert-manager wrote the Secret for a Certificate of this name, and evercert has not written it."""
    return (
        annotations.get(CERTIFICATE_NAME) == certificate_name
        and constants.ANNOTATION_CERTIFICATE_NAME not in annotations
    )


def cert_manager_issuer(annotations: Mapping[str, str]) -> tuple[str, str] | None:
    """(name, kind) of the ACME issuer cert-manager's annotations name, when evercert's name none."""
    if constants.ANNOTATION_ISSUER_NAME in annotations or not annotations.get(ISSUER_NAME):
        return None
    if annotations.get(ISSUER_GROUP, "") not in ISSUER_GROUPS:
        return None
    return annotations[ISSUER_NAME], annotations.get(ISSUER_KIND) or "Issuer"


def kept_annotations(annotations: Mapping[str, str], chain: Sequence[x509.Certificate]) -> dict[str, str]:
    """cert-manager's annotations that count for adoption: its issuer only when the certificate chains up
    through what came with it (leaf signed by the intermediate, and so on), else the Secret is reissued."""
    kept = {key: annotations[key] for key in READ_ANNOTATIONS if key in annotations}
    if cert_manager_issuer(kept) is not None and not chains_up(chain):
        for key in (ISSUER_NAME, ISSUER_KIND, ISSUER_GROUP):
            kept.pop(key, None)
    return kept


def owned_by_cert_manager(owner: Mapping[str, Any]) -> bool:
    """An owner reference to a cert-manager Certificate (its --enable-certificate-owner-ref)."""
    return str(owner.get("apiVersion") or "").startswith(f"{constants.CERT_MANAGER_GROUP}/")


def chains_up(chain: Sequence[x509.Certificate]) -> bool:
    """The leaf comes with its issuer's certificate, and each certificate is signed by the next."""
    return len(chain) > 1 and all(signed_by(cert, issuer) for cert, issuer in itertools.pairwise(chain))
