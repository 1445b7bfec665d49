"""ACME Renewal Information (RFC 9773) for a served certificate: the CA's window wins over our default.

The window is kept in the Certificate's status with the time of the next check (twice a day, as
Let's Encrypt advises), so a restart asks the CA nothing."""

from __future__ import annotations

import datetime
import logging

from ..acme.renewal_info import renewal_window
from ..core.errors import EvercertError
from ..issuers.session import AcmeSession
from .renewal import ari_renewal_time
from .status import RenewalInfo
from .tls_secret import SecretContents

log = logging.getLogger(__name__)

RECHECK = datetime.timedelta(hours=12)


def stored_window(stored: RenewalInfo | None, serial_hex: str, now: datetime.datetime) -> RenewalInfo | None:
    """The stored record when it is for this certificate and not yet due for a new check."""
    if stored is None or stored.serial != serial_hex:
        return None
    return stored if stored.next_check > now else None


def suggested_renewal(record: RenewalInfo, seed: str) -> datetime.datetime | None:
    if record.window_start and record.window_end:
        return ari_renewal_time(record.window_start, record.window_end, seed)
    return None


async def fetch_record(session: AcmeSession, served: SecretContents, now: datetime.datetime) -> RenewalInfo:
    """Ask the CA for the window; a CA without ARI (or one that fails) gets a record with no window."""
    assert served.info is not None
    record = RenewalInfo(served.info.serial_hex, now + RECHECK)
    try:
        client = await session.client()
        if served.ari_id is None:
            return record
        window = await session.blocking(renewal_window, client, served.ari_id)
    except (EvercertError, ValueError) as exc:
        detail = exc.message if isinstance(exc, EvercertError) else str(exc)
        log.info("no renewal information from the CA", extra={"issuer": session.issuer.name, "error": detail})
        return record
    if window is None:
        return record
    return RenewalInfo(record.serial, record.next_check, window[0], window[1])


def replaces_id(record: RenewalInfo | None, served: SecretContents | None) -> str | None:
    """The ARI ID to send as `replaces` when renewing a certificate the CA gave a window for."""
    if record is None or record.window_start is None or served is None or served.info is None:
        return None
    return served.ari_id if record.serial == served.info.serial_hex else None
