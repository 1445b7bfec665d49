"""Status conditions (evercert.conditions): transitions keep their time unless the status flips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from evercert.conditions import find, parse_timestamp, timestamp, with_condition

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_a_new_condition_records_when_it_happened() -> None:
    conds = with_condition(None, "Ready", True, "Ready", "fine", 3, T0)
    assert conds == [
        {
            "type": "Ready",
            "status": "True",
            "reason": "Ready",
            "message": "fine",
            "observedGeneration": 3,
            "lastTransitionTime": "2026-05-01T12:00:00Z",
        }
    ]


def test_the_transition_time_stays_while_the_status_does_not_change() -> None:
    first = with_condition(None, "Ready", False, "Pending", "a", 1, T0)
    later = with_condition(first, "Ready", False, "Failed", "b", 1, T0 + timedelta(hours=1))
    assert find(later, "Ready")["lastTransitionTime"] == timestamp(T0)
    assert find(later, "Ready")["reason"] == "Failed"
    flipped = with_condition(later, "Ready", True, "Ready", "c", 1, T0 + timedelta(hours=2))
    assert find(flipped, "Ready")["lastTransitionTime"] == timestamp(T0 + timedelta(hours=2))


def test_ready_comes_first_and_other_conditions_are_kept() -> None:
    conds = with_condition(None, "Issuing", True, "Renewing", "x", 1, T0)
    conds = with_condition(conds, "Ready", True, "Ready", "y", 1, T0)
    assert [c["type"] for c in conds] == ["Ready", "Issuing"]


def test_timestamps_round_trip() -> None:
    assert parse_timestamp(timestamp(T0)) == T0
    assert parse_timestamp(None) is None
