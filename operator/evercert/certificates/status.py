"""A Certificate's status as a typed value: the one place that knows its field names.

`parse_status` reads what the cluster holds; the `*_fields` functions give the merge-patch fields for
a value (None removes a field)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import conditions
from ..api.certificate import IssuerRef
from ..api.issuer import ISSUER_KINDS
from ..conditions import parse_timestamp, timestamp
from ..core import constants

CONDITIONS = "conditions"
NOT_BEFORE = "notBefore"
NOT_AFTER = "notAfter"
RENEWAL_TIME = "renewalTime"
SERIAL = "serialNumber"
REVISION = "revision"
OBSERVED_GENERATION = "observedGeneration"
ORDER = "order"
RENEWAL_INFO = "renewalInfo"
FAILED_ATTEMPTS = "failedIssuanceAttempts"
LAST_FAILURE = "lastFailureTime"
NEXT_ATTEMPT = "nextAttemptTime"
LAST_RENEW_REQUEST = "lastRenewRequest"
ISSUED_BY = "issuedBy"
ATTEMPT_ISSUER = "attemptIssuer"


@dataclass(frozen=True)
class DnsRecord:
    """A DNS-01 TXT value evercert puts (or put) in place: recorded before the update is sent, so that
    whatever happens next (success, failure, deletion, a crash) it is found and removed again."""

    fqdn: str
    zone: str
    value: str
    dns_name: str  # the name it validates, "*.x" for a wildcard
    solver: int  # its index in the issuer's spec.acme.solvers
    seen: str | None = None  # what the last propagation check saw where it is still missing

    def to_status(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "fqdn": self.fqdn,
            "zone": self.zone,
            "value": self.value,
            "dnsName": self.dns_name,
            "solver": self.solver,
        }
        if self.seen:
            record["seen"] = self.seen
        return record

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.fqdn, self.value, self.solver)


@dataclass(frozen=True)
class StoredOrder:
    """The order in flight, so that a restarted operator resumes it (for the same names, issuer and key),
    and the DNS-01 records presented for it (or for an earlier attempt) that are still to remove."""

    url: str
    dns_names: tuple[str, ...]
    issuer: str  # "<kind>/<name>"
    key_id: str | None = None
    dns_records: tuple[DnsRecord, ...] = ()

    def to_status(self) -> dict[str, Any]:
        """The order's fields; `dnsRecords` only when there are some (a merge patch keeps those stored)."""
        order: dict[str, Any] = {"url": self.url, "dnsNames": list(self.dns_names), "issuer": self.issuer}
        if self.key_id is not None:
            order["keyId"] = self.key_id
        if self.dns_records:
            order["dnsRecords"] = [record.to_status() for record in self.dns_records]
        return order


@dataclass(frozen=True)
class RenewalInfo:
    """The CA's suggested renewal window (ARI) for one certificate, and when to ask again."""

    serial: str
    next_check: datetime.datetime
    window_start: datetime.datetime | None = None
    window_end: datetime.datetime | None = None

    def to_status(self) -> dict[str, Any]:
        record = {"serial": self.serial, "nextCheck": timestamp(self.next_check)}
        if self.window_start and self.window_end:
            record |= {"windowStart": timestamp(self.window_start), "windowEnd": timestamp(self.window_end)}
        return record


@dataclass(frozen=True)
class AttemptIssuer:
    """While attempts fail: the issuer the next one goes to, its failed attempts and since when."""

    ref: IssuerRef
    failed_attempts: int
    since: datetime.datetime

    def to_status(self) -> dict[str, Any]:
        return {
            "name": self.ref.name,
            "kind": self.ref.kind,
            "failedAttempts": self.failed_attempts,
            "since": timestamp(self.since),
        }


@dataclass(frozen=True)
class CertificateStatus:
    conditions: tuple[Mapping[str, Any], ...] = ()
    not_before: datetime.datetime | None = None
    not_after: datetime.datetime | None = None
    renewal_time: datetime.datetime | None = None
    serial: str | None = None
    revision: int = 0
    observed_generation: int | None = None
    order: StoredOrder | None = None
    renewal_info: RenewalInfo | None = None
    failed_attempts: int = 0
    last_failure_time: datetime.datetime | None = None
    next_attempt_time: datetime.datetime | None = None
    last_renew_request: str | None = None
    attempt_issuer: AttemptIssuer | None = None
    # The status as the cluster holds it: a patch is only sent when it would change something.
    fields: Mapping[str, Any] = field(default_factory=dict)

    def condition(self, kind: str) -> Mapping[str, Any] | None:
        return conditions.find(self.conditions, kind)

    @property
    def attempt_pending(self) -> bool:
        """An issuance attempt left state behind (an order, or a failure waiting for its retry)."""
        return self.order is not None or self.next_attempt_time is not None


def parse_status(raw: Mapping[str, Any] | None) -> CertificateStatus:
    raw = raw or {}
    return CertificateStatus(
        conditions=tuple(raw.get(CONDITIONS) or ()),
        not_before=parse_timestamp(raw.get(NOT_BEFORE)),
        not_after=parse_timestamp(raw.get(NOT_AFTER)),
        renewal_time=parse_timestamp(raw.get(RENEWAL_TIME)),
        serial=raw.get(SERIAL),
        revision=int(raw.get(REVISION) or 0),
        observed_generation=raw.get(OBSERVED_GENERATION),
        order=_order(raw.get(ORDER)),
        renewal_info=_renewal_info(raw.get(RENEWAL_INFO)),
        failed_attempts=int(raw.get(FAILED_ATTEMPTS) or 0),
        last_failure_time=parse_timestamp(raw.get(LAST_FAILURE)),
        next_attempt_time=parse_timestamp(raw.get(NEXT_ATTEMPT)),
        last_renew_request=raw.get(LAST_RENEW_REQUEST),
        attempt_issuer=_attempt_issuer(raw.get(ATTEMPT_ISSUER)),
        fields=raw,
    )


def pending_renew_request(body: Mapping[str, Any]) -> str | None:
    """The value of the renew-requested annotation when it has not been acted on yet."""
    annotations = (body.get("metadata") or {}).get("annotations") or {}
    requested = annotations.get(constants.ANNOTATION_RENEW_REQUESTED)
    last = (body.get("status") or {}).get(LAST_RENEW_REQUEST)
    return requested if requested and requested != last else None


def _order(raw: Mapping[str, Any] | None) -> StoredOrder | None:
    if not raw or not raw.get("url"):
        return None
    return StoredOrder(
        raw["url"],
        tuple(raw.get("dnsNames") or ()),
        raw.get("issuer") or "",
        raw.get("keyId"),
        tuple(filter(None, (_dns_record(record) for record in raw.get("dnsRecords") or ()))),
    )


def _dns_record(raw: Mapping[str, Any]) -> DnsRecord | None:
    try:
        return DnsRecord(
            raw["fqdn"],
            raw["zone"],
            raw["value"],
            raw.get("dnsName") or "",
            int(raw["solver"]),
            raw.get("seen"),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _renewal_info(raw: Mapping[str, Any] | None) -> RenewalInfo | None:
    next_check = parse_timestamp((raw or {}).get("nextCheck"))
    if not raw or not raw.get("serial") or next_check is None:
        return None
    start, end = parse_timestamp(raw.get("windowStart")), parse_timestamp(raw.get("windowEnd"))
    return RenewalInfo(raw["serial"], next_check, start, end)


def _attempt_issuer(raw: Mapping[str, Any] | None) -> AttemptIssuer | None:
    since = parse_timestamp((raw or {}).get("since"))
    if not raw or not raw.get("name") or raw.get("kind") not in ISSUER_KINDS or since is None:
        return None
    return AttemptIssuer(IssuerRef(raw["name"], raw["kind"]), int(raw.get("failedAttempts") or 0), since)


def issued_by_field(name: str | None, kind: str | None) -> dict[str, Any]:
    """Which issuer issued the served certificate (from the Secret's annotations)."""
    return {ISSUED_BY: {"name": name, "kind": kind} if name and kind else None}


def order_field(order: StoredOrder | None) -> dict[str, Any]:
    return {ORDER: order.to_status() if order else None}


def dns_records_field(records: Sequence[DnsRecord]) -> dict[str, Any]:
    """The DNS-01 records of the order in flight (a merge patch: the order's other fields stay)."""
    return {ORDER: {"dnsRecords": [record.to_status() for record in records] or None}}


def cleared_attempt_fields() -> dict[str, Any]:
    """Fields that an attempt leaves and a served certificate ends."""
    return {ORDER: None, NEXT_ATTEMPT: None, FAILED_ATTEMPTS: None, LAST_FAILURE: None, ATTEMPT_ISSUER: None}


def with_conditions(conds: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {CONDITIONS: list(conds)}
