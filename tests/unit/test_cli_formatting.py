"""kubectl-style text: tables, short durations, relative times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from evercert.cli.formatting import NONE, parse_time, relative, short_duration, table

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_table_pads_each_column_to_its_widest_cell_plus_three_spaces() -> None:
    text = table(("NAME", "READY"), [["web", "True"], ["a-longer-name", "False"]])
    assert text.splitlines() == [
        "NAME            READY",
        "web             True",
        "a-longer-name   False",
    ]


def test_table_has_no_trailing_blanks() -> None:
    assert all(line == line.rstrip() for line in table(("A", "B"), [["x", ""]]).splitlines())


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=-5), "0s"),
        (timedelta(seconds=45), "45s"),
        (timedelta(seconds=119), "119s"),
        (timedelta(minutes=3, seconds=20), "3m20s"),
        (timedelta(minutes=5), "5m"),
        (timedelta(minutes=90), "90m"),
        (timedelta(hours=5, minutes=30), "5h30m"),
        (timedelta(hours=30), "30h"),
        (timedelta(days=3, hours=4), "3d4h"),
        (timedelta(days=89, hours=23), "89d"),
        (timedelta(days=365 * 2 + 30), "2y30d"),
        (timedelta(days=365 * 10), "10y"),
    ],
)
def test_short_duration_follows_kubectl_age_column(delta: timedelta, text: str) -> None:
    assert short_duration(delta) == text


def test_relative_says_in_for_the_future_and_ago_for_the_past() -> None:
    assert relative(NOW + timedelta(days=59), NOW) == "in 59d"
    assert relative(NOW - timedelta(hours=3), NOW) == "3h ago"
    assert relative(None, NOW) == NONE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01T12:00:00Z", datetime(2026, 3, 1, 12, tzinfo=UTC)),
        ("2026-03-01T12:00:00.250000Z", datetime(2026, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)),
        ("2026-03-01T13:00:00+01:00", datetime(2026, 3, 1, 12, tzinfo=UTC)),
        ("not a time", None),
        ("", None),
        (None, None),
        (1234, None),
    ],
)
def test_parse_time_reads_rfc3339_and_tolerates_garbage(text: object, expected: datetime | None) -> None:
    assert parse_time(text) == expected
