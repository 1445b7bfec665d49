"""ACME Renewal Information (RFC 9773) for a served certificate: the CA's window wins over our default.

The window is kept in the Certificate's status with the time of the next check (twice a day, as
Let's Encrypt advises), so a restart asks the CA nothing.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping
from typing import Any

from . import accounts, conditions
from .acme import client as acme_client
from .acme.renewal_info import ari_cert_id, renewal_window
from .api.issuer import IssuerSpec
from .errors import AcmeFailure
from .renewal import ari_renewal_time
from .runtime import Runtime
from .secrets import SecretContents

log = logging.getLogger(__name__)

RECHECK = datetime.timedelta(hours=12)


def stored_window(
    stored: Mapping[str, Any] | None, serial_hex: str, now: datetime.datetime
) -> Mapping[str, Any] | None:
    """The stored ARI record when it is for this certificate and not yet due for a new check."""
    if not stored or stored.get("serial") != serial_hex:
        return None
    next_check = conditions.parse_timestamp(stored.get("nextCheck"))
    return stored if next_check and next_check > now else None


def renewal_from_record(record: Mapping[str, Any], seed: str) -> datetime.datetime | None:
    start = conditions.parse_timestamp(record.get("windowStart"))
    end = conditions.parse_timestamp(record.get("windowEnd"))
    return ari_renewal_time(start, end, seed) if start and end else None


async def fetch_record(
    runtime: Runtime,
    issuer: IssuerSpec,
    account_uri: str,
    contents: SecretContents,
    now: datetime.datetime,
) -> dict[str, Any]:
    """Ask the CA for the window; a CA without ARI (or one that fails) gets a record with no window."""
    assert contents.info is not None
    record: dict[str, Any] = {
        "serial": contents.info.serial_hex,
        "nextCheck": conditions.timestamp(now + RECHECK),
    }
    try:
        settings = await accounts.account_settings(runtime, issuer)
        key_pem = await accounts.read_account_key(runtime, issuer)
        client = await runtime.blocking(acme_client.connect, settings, key_pem, account_uri)
        window = await runtime.blocking(renewal_window, client, contents.cert_pem)
    except (AcmeFailure, ValueError) as exc:
        log.info("no renewal information from the CA", extra={"issuer": issuer.name, "error": str(exc)})
        return record
    if window is not None:
        record["windowStart"] = conditions.timestamp(window[0])
        record["windowEnd"] = conditions.timestamp(window[1])
    return record


def replaces_id(record: Mapping[str, Any] | None, contents: SecretContents | None) -> str | None:
    """The ARI ID to send as `replaces` when renewing a certificate the CA gave a window for."""
    if not record or not record.get("windowStart") or contents is None or contents.info is None:
        return None
    if record.get("serial") != contents.info.serial_hex:
        return None
    try:
        return ari_cert_id(contents.cert_pem)
    except ValueError:
        return None
