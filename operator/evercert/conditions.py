"""Pure helpers for status conditions: set one, keep lastTransitionTime when the status is unchanged."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from .core import reasons


def timestamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str | None) -> datetime.datetime | None:
    if not text:
        return None
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC)


def find(conditions: Sequence[Mapping[str, Any]] | None, kind: str) -> Mapping[str, Any] | None:
    return next((c for c in conditions or () if c.get("type") == kind), None)


def with_condition(
    conditions: Sequence[Mapping[str, Any]] | None,
    kind: str,
    status: bool,
    reason: str,
    message: str,
    generation: int,
    now: datetime.datetime,
) -> list[dict[str, Any]]:
    """The conditions list with `kind` set; the transition time moves only when the status flips."""
    previous = find(conditions, kind)
    value = "True" if status else "False"
    changed_at = previous.get("lastTransitionTime") if previous and previous.get("status") == value else None
    updated = {
        "type": kind,
        "status": value,
        "reason": reason,
        "message": message,
        "observedGeneration": generation,
        "lastTransitionTime": changed_at or timestamp(now),
    }
    others = [dict(c) for c in conditions or () if c.get("type") != kind]
    return sorted([*others, updated], key=lambda c: str(c["type"]) != reasons.READY)


def without_condition(conditions: Sequence[Mapping[str, Any]] | None, kind: str) -> list[dict[str, Any]]:
    return [dict(c) for c in conditions or () if c.get("type") != kind]


def same_condition(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    """Equal for reporting purposes (status, reason, message)."""
    keys = ("status", "reason", "message")
    return a is not None and b is not None and all(a.get(k) == b.get(k) for k in keys)
