"""The look: does the Certificate need a new certificate now, and if not, when to renew it.

Pure: the loop hands it the Secret's contents and the CA's renewal windows (ARI) asked this pass;
when a window is needed and not there, the look says so (NeedsWindow) and the loop asks the CA. A
renewal that falls due then waits for the spec's own renewal windows (spec.renewal.windows, windows.py)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass

from ..api.certificate import CertificateSpec
from ..core import reasons
from . import renewal_info
from .status import CertificateStatus, RenewalInfo
from .tls_secret import SecretContents
from .trigger import certificate_renewal_time, issuance_reason
from .windows import renewal_timing


@dataclass(frozen=True)
class Look:
    """What one look found out."""

    spec: CertificateSpec
    served: SecretContents | None  # the tls Secret's contents; None when there is no Secret
    reason: str | None  # why to issue now (a reasons.* value), None when the Secret is fine
    renew_at: datetime.datetime | None = None  # for a good certificate
    renewal_info: RenewalInfo | None = None


def look_at_issued(spec: CertificateSpec, served: SecretContents) -> Look:
    """The look at a certificate just written: good, renewed at the spec's time."""
    return Look(spec, served, None, certificate_renewal_time(spec, served))


@dataclass(frozen=True)
class NeedsWindow:
    """The look needs the CA's renewal window (ARI) for the served certificate before it can say."""

    served: SecretContents


def take_look(
    spec: CertificateSpec,
    served: SecretContents | None,
    status: CertificateStatus,
    now: datetime.datetime,
    renew_requested: bool = False,
    windows: Mapping[str, RenewalInfo] | None = None,
) -> Look | NeedsWindow:
    """Why (if at all) to issue now; for a good certificate, when to renew it (the CA's ARI window wins).

    `windows` are the CA's windows asked this pass, by serial; None when the issuer cannot be asked
    now: the spec's renewal time applies then."""
    reason = issuance_reason(spec, served, now, renew_requested=renew_requested)
    if served is None or served.info is None or reason not in (None, reasons.RENEWING) or renew_requested:
        renew_at = certificate_renewal_time(spec, served) if served and served.info else None
        return Look(spec, served, reason, renew_at)
    default = certificate_renewal_time(spec, served)
    if windows is None:
        return _look_in_windows(spec, served, default, now)
    record = renewal_info.stored_window(status.renewal_info, served.info.serial_hex, now)
    if record is None:
        record = windows.get(served.info.serial_hex)
    if record is None:
        return NeedsWindow(served)
    suggested = renewal_info.suggested_renewal(
        record, f"{spec.namespace}/{spec.name}/{served.info.serial_hex}"
    )
    renew_at = min(suggested, served.info.not_after) if suggested else default
    return _look_in_windows(spec, served, renew_at, now, record)


def _look_in_windows(
    spec: CertificateSpec,
    served: SecretContents,
    due: datetime.datetime,
    now: datetime.datetime,
    record: RenewalInfo | None = None,
) -> Look:
    """A good certificate due at `due`: its renewal waits for the spec's next renewal window."""
    assert served.info is not None
    timing = renewal_timing(spec.renewal_windows, due, served.info.not_after, now)
    reason = issuance_reason(spec, served, now, timing.renew_at)
    if reason == reasons.RENEWING and timing.outside_window:
        reason = reasons.RENEWED_OUTSIDE_WINDOW
    return Look(spec, served, reason, timing.renew_at, record)
