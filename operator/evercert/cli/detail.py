"""`status NAME`: one Certificate in depth, from what the operator records in the cluster (pure).

The Certificate's conditions, the order in flight and failed attempts from its status, its tls Secret,
the solver objects of an attempt, and its last Events; no account key is needed."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from ..certificates import status as fields
from ..conditions import timestamp
from ..core import reasons
from .describe import NotATlsSecret, describe_tls_secret
from .formatting import NONE, parse_time, relative

_WIDTH = 16
MAX_EVENTS = 10


def certificate_report(
    body: Mapping[str, Any],
    secret: Mapping[str, Any] | None,
    solver_objects: Sequence[Mapping[str, Any]],
    events: Sequence[Mapping[str, Any]],
    now: datetime.datetime,
) -> str:
    metadata, spec = body.get("metadata") or {}, body.get("spec") or {}
    status = body.get("status") or {}
    ref = spec.get("issuerRef") or {}
    names = [*(spec.get("dnsNames") or []), *(spec.get("ipAddresses") or [])]
    lines = [
        ("Name", metadata.get("name") or NONE),
        ("Namespace", metadata.get("namespace") or NONE),
        ("Names", ", ".join(names) or NONE),
        ("Issuer", f"{ref.get('kind') or 'Issuer'}/{ref.get('name') or NONE}"),
        ("Secret", spec.get("secretName") or NONE),
        *((kind, _condition(status, kind)) for kind in (reasons.READY, reasons.ISSUING)),
        ("Not after", _moment(status.get("notAfter"), now)),
        ("Renews", _moment(status.get("renewalTime"), now)),
        ("Revision", str(status.get("revision") or NONE)),
        ("Order", _order(status.get(fields.ORDER))),
        ("Failed attempts", _failures(status, now)),
    ]
    text = [f"{label + ':':<{_WIDTH}}  {value}" for label, value in lines]
    text.append(f"Secret {spec.get('secretName') or ''}:")
    text += _indented(_secret(secret, body, now))
    text.append("Solver objects:")
    text += _indented("\n".join(_solver(o) for o in solver_objects) or "none (no attempt in flight)")
    text.append(f"Events (last {MAX_EVENTS}):")
    text += _indented(_events(events, now) or "none")
    return "\n".join(text)


def _condition(status: Mapping[str, Any], kind: str) -> str:
    found = next((c for c in status.get("conditions") or [] if c.get("type") == kind), None)
    if found is None:
        return NONE
    detail = ": ".join(str(part) for part in (found.get("reason"), found.get("message")) if part)
    return f"{found.get('status')} ({detail})" if detail else str(found.get("status"))


def _moment(value: object, now: datetime.datetime) -> str:
    moment = parse_time(value)
    return f"{timestamp(moment)} ({relative(moment, now)})" if moment else NONE


def _order(order: object) -> str:
    if not isinstance(order, Mapping):
        return "none in flight"
    names = ", ".join(order.get("dnsNames") or [])
    return f"{order.get('url')} for {names or NONE}, via {order.get('issuer') or NONE}"


def _failures(status: Mapping[str, Any], now: datetime.datetime) -> str:
    count = status.get(fields.FAILED_ATTEMPTS)
    if not count:
        return "0"
    last = _moment(status.get(fields.LAST_FAILURE), now)
    following = _moment(status.get(fields.NEXT_ATTEMPT), now)
    return f"{count}, last {last}, next attempt {following}"


def _secret(secret: Mapping[str, Any] | None, body: Mapping[str, Any], now: datetime.datetime) -> str:
    if secret is None:
        return "does not exist"
    try:
        return describe_tls_secret(secret, body, now)
    except NotATlsSecret as exc:
        return str(exc)


def _solver(obj: Mapping[str, Any]) -> str:
    metadata, status = obj.get("metadata") or {}, obj.get("status") or {}
    state = ""
    if obj.get("kind") == "Pod":
        ready = any(
            # a Pod's condition type has the same name as evercert's
            c.get("type") == reasons.READY and c.get("status") == "True"
            for c in status.get("conditions") or []
        )
        state = f"  {status.get('phase') or 'Pending'}{', Ready' if ready else ', not Ready'}"
    return f"{obj.get('kind')}/{metadata.get('name')}{state}"


def _events(events: Sequence[Mapping[str, Any]], now: datetime.datetime) -> str:
    def when(event: Mapping[str, Any]) -> datetime.datetime:
        moment = parse_time(
            event.get("lastTimestamp") or event.get("eventTime") or event.get("firstTimestamp")
        )
        return moment or datetime.datetime.min.replace(tzinfo=datetime.UTC)

    latest = sorted(events, key=when)[-MAX_EVENTS:]
    return "\n".join(
        f"{relative(when(e), now)}  {e.get('type')}  {e.get('reason')}  {e.get('message')}" for e in latest
    )


def _indented(text: str) -> list[str]:
    return [f"  {line}" for line in text.splitlines()]
