import datetime

import pytest

from evercert.api.durations import format_duration, parse_duration
from evercert.core.errors import InvalidSpec

HOUR = datetime.timedelta(hours=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2160h", 2160 * HOUR),
        ("1h30m", datetime.timedelta(hours=1, minutes=30)),
        ("90m", datetime.timedelta(minutes=90)),
        ("720h0m0s", 720 * HOUR),
        ("45s", datetime.timedelta(seconds=45)),
        ("1.5h", datetime.timedelta(hours=1, minutes=30)),
        ("250ms", datetime.timedelta(milliseconds=250)),
        ("1500us", datetime.timedelta(microseconds=1500)),
        ("1500µs", datetime.timedelta(microseconds=1500)),
        ("2000ns", datetime.timedelta(microseconds=2)),
    ],
)
def test_parses_go_durations(text: str, expected: datetime.timedelta) -> None:
    assert parse_duration(text) == expected


def test_accepts_days_as_a_convenience() -> None:
    assert parse_duration("90d") == datetime.timedelta(days=90)


def test_adds_up_repeated_and_mixed_units() -> None:
    assert parse_duration("1d12h") == datetime.timedelta(days=1, hours=12)


@pytest.mark.parametrize(
    "text", ["", "h", "10", "1 h", " 1h", "1H", "-1h", "1.h", ".5h", "1y", "1h-30m", "P1D"]
)
def test_rejects_what_is_not_a_go_duration(text: str) -> None:
    with pytest.raises(InvalidSpec, match="is not a duration"):
        parse_duration(text)


def test_rejects_a_non_string() -> None:
    with pytest.raises(InvalidSpec, match="is not a duration"):
        parse_duration(3600)  # type: ignore[arg-type]


def test_error_names_the_field_and_gives_examples() -> None:
    with pytest.raises(InvalidSpec) as error:
        parse_duration("2 weeks", "spec.renewBefore")
    assert error.value.message.startswith("spec.renewBefore: '2 weeks' is not a duration")
    assert "2160h" in error.value.message


def test_rejects_a_duration_too_long_for_python() -> None:
    with pytest.raises(InvalidSpec, match="too long"):
        parse_duration("99999999999d")


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (2160 * HOUR, "2160h0m0s"),
        (datetime.timedelta(minutes=90), "1h30m0s"),
        (datetime.timedelta(seconds=90), "1m30s"),
        (datetime.timedelta(seconds=45), "45s"),
        (datetime.timedelta(seconds=1.5), "1.5s"),
        (datetime.timedelta(hours=1, microseconds=5), "1h0m0.000005s"),
        (datetime.timedelta(milliseconds=250), "250ms"),
        (datetime.timedelta(microseconds=1500), "1.5ms"),
        (datetime.timedelta(microseconds=7), "7µs"),
        (datetime.timedelta(0), "0s"),
        (-HOUR, "-1h0m0s"),
    ],
)
def test_formats_like_go(duration: datetime.timedelta, text: str) -> None:
    assert format_duration(duration) == text


@pytest.mark.parametrize("text", ["2160h", "1h30m", "1.5h", "90d", "250ms", "7us", "1h0m0.5s"])
def test_formatted_durations_parse_back_to_the_same_value(text: str) -> None:
    duration = parse_duration(text)
    assert parse_duration(format_duration(duration)) == duration
