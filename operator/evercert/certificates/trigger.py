"""Pure policy: does a Certificate need a new certificate now, and why."""

from __future__ import annotations

import datetime

from .. import constants, reasons
from ..api.certificate import CertificateSpec
from ..pki import covers_names, key_matches_spec, load_private_key_pem
from .renewal import renewal_time
from .tls_secret import SecretContents


def certificate_renewal_time(spec: CertificateSpec, contents: SecretContents) -> datetime.datetime:
    """When the certificate in the Secret should be renewed, per the spec's renewBefore settings."""
    assert contents.info is not None
    return renewal_time(
        contents.info.not_before,
        contents.info.not_after,
        renew_before=spec.renew_before,
        renew_before_percentage=spec.renew_before_percentage,
        jitter_seed=f"{spec.namespace}/{spec.name}/{contents.info.serial_hex}",
    )


def issuance_reason(
    spec: CertificateSpec,
    contents: SecretContents | None,
    now: datetime.datetime,
    renew_at: datetime.datetime | None = None,
    renew_requested: bool = False,
) -> str | None:
    """The reason a new certificate is needed (a condition reason), or None when the Secret is fine.

    `renew_at` overrides the spec's renewal time (the CA's ARI window wins).
    """
    if contents is None:
        return reasons.DOES_NOT_EXIST
    if contents.info is None or not contents.key_pem:
        return reasons.MISSING_DATA
    if not contents.key_matches:
        return reasons.INVALID_KEY_PAIR
    if not covers_names(contents.info, spec.dns_names):
        return reasons.SECRET_MISMATCH
    if contents.annotations.get(constants.ANNOTATION_ISSUER_NAME) != spec.issuer_ref.name or (
        contents.annotations.get(constants.ANNOTATION_ISSUER_KIND) != spec.issuer_ref.kind
    ):
        return reasons.INCORRECT_ISSUER
    if not _key_fits(contents.key_pem, spec):
        return reasons.PRIVATE_KEY_MISMATCH
    if renew_requested:
        return reasons.MANUALLY_TRIGGERED
    if now >= contents.info.not_after:
        return reasons.EXPIRED
    if now >= (renew_at or certificate_renewal_time(spec, contents)):
        return reasons.RENEWING
    return None


def _key_fits(key_pem: bytes, spec: CertificateSpec) -> bool:
    try:
        key = load_private_key_pem(key_pem, check=False)  # only its type and size matter here
    except ValueError:
        return False
    return key_matches_spec(key, spec.private_key.algorithm, spec.private_key.size)
