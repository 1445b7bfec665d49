"""Pure policy: does a Certificate need a new certificate now, and why."""

from __future__ import annotations

import datetime

from ..api.certificate import CertificateSpec, IssuerRef
from ..core import constants, reasons
from ..pki import covers_names
from . import adoption
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


def issued_by(spec: CertificateSpec, contents: SecretContents) -> IssuerRef | None:
    """Which of the spec's issuers (the primary or a fallback) issued the served certificate, if any.

    A certificate from a fallback issuer is kept until its renewal, when the primary is tried again."""
    name = contents.annotations.get(constants.ANNOTATION_ISSUER_NAME)
    kind = contents.annotations.get(constants.ANNOTATION_ISSUER_KIND)
    if name is None:  # a Secret cert-manager wrote, not yet adopted
        name, kind = adoption.cert_manager_issuer(contents.annotations) or (None, None)
    return next((ref for ref in spec.issuer_refs if (ref.name, ref.kind) == (name, kind)), None)


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
    if contents.info is None or not contents.has_key:
        return reasons.MISSING_DATA
    if not contents.key_matches:
        return reasons.INVALID_KEY_PAIR
    if not covers_names(contents.info, spec.dns_names, spec.ip_addresses):
        return reasons.SECRET_MISMATCH
    if issued_by(spec, contents) is None:
        return reasons.INCORRECT_ISSUER
    if contents.key_type is None or not spec.private_key.accepts(contents.key_type):
        return reasons.PRIVATE_KEY_MISMATCH
    if renew_requested:
        return reasons.MANUALLY_TRIGGERED
    if now >= contents.info.not_after:
        return reasons.EXPIRED
    if now >= (renew_at or certificate_renewal_time(spec, contents)):
        return reasons.RENEWING
    return None
