"""What a Certificate says about its copies: `status.secretCopies` and a Warning Event when namespaces
match the selector without opting in, or hold a Secret of that name that is not a copy (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..certificates.status import SECRET_COPIES
from ..certificates.transitions import Event, Transition
from ..core import reasons
from .sync import CopyOutcome

STATUS_FIELD = SECRET_COPIES


def copies_status(outcome: CopyOutcome) -> dict[str, Any] | None:
    plan, conflicts = outcome.plan, outcome.conflicts
    status = {
        "namespaces": [n for n in plan.copied if n not in conflicts] or None,
        "notAccepted": list(plan.not_accepted) or None,
        "conflicts": list(conflicts) or None,
    }
    return status if any(status.values()) else None


def report(previous: Mapping[str, Any] | None, outcome: CopyOutcome) -> Transition:
    """The status patch (None values remove keys: a merge patch) and at most one Warning Event, posted
    when the namespaces that did not accept (or conflict) change."""
    now = copies_status(outcome)
    before = dict(previous or {})
    patch = {STATUS_FIELD: now} if _given(now) != _given(before) else {}
    event = None
    refused, conflicts = list(outcome.plan.not_accepted), list(outcome.conflicts)
    if conflicts and conflicts != before.get("conflicts"):
        event = Event("Warning", reasons.COPY_CONFLICT, reasons.copy_conflict_message(conflicts))
    elif refused and refused != before.get("notAccepted"):
        event = Event("Warning", reasons.COPIES_NOT_ACCEPTED, reasons.copies_not_accepted_message(refused))
    return Transition(patch, event)


def _given(status: Mapping[str, Any] | None) -> dict[str, Any] | None:
    given = {key: value for key, value in (status or {}).items() if value}
    return given or None
