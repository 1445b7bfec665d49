"""Renewal windows in evercert.certificates.windows and window_check: the next window in its time zone
(daylight-saving changes included), when a due renewal starts, and which windows a spec may not have."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from evercert.api.certificate import parse_certificate
from evercert.api.renewal import RenewalWindow
from evercert.certificates.cron import parse_cron
from evercert.certificates.window_check import allowed_wait, check_windows, longest_closed
from evercert.certificates.windows import Opening, Timing, deadline, instant, next_window, renewal_timing
from evercert.core.errors import InvalidSpec

H = timedelta(hours=1)
M = timedelta(minutes=1)
DAY = timedelta(days=1)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def window(cron: str, duration: timedelta = H, zone: str = "UTC") -> RenewalWindow:
    return RenewalWindow(parse_cron(cron), ZoneInfo(zone), duration)


# The next window, on the zone's calendar


@pytest.mark.parametrize(
    ("cron", "zone", "duration", "at", "opens"),
    [
        pytest.param(
            "0 2 * * *", "UTC", H, utc(2026, 5, 4, 12), utc(2026, 5, 5, 2), id="later-today-is-tomorrow"
        ),
        pytest.param("0 22 * * *", "UTC", 2 * H, utc(2026, 5, 4, 23, 30), utc(2026, 5, 4, 22), id="open-now"),
        pytest.param(
            "0 22 * * *", "UTC", 2 * H, utc(2026, 5, 5), utc(2026, 5, 5, 22), id="closes-at-its-end"
        ),
        pytest.param(
            "0 23 * * *",
            "Asia/Kolkata",
            3 * H,
            utc(2026, 1, 1, 18),
            utc(2026, 1, 1, 17, 30),
            id="half-hour-zone",
        ),
        pytest.param(
            "0 9 * * MON-FRI",
            "America/New_York",
            H,
            utc(2026, 3, 6, 15),  # Friday 10:00 EST, the window just closed
            utc(2026, 3, 9, 13),  # Monday 09:00 EDT: the clocks moved on Sunday
            id="weekdays-across-spring-forward",
        ),
        pytest.param(
            "30 2 * * *",
            "Europe/Berlin",
            H,
            utc(2026, 3, 28, 12),
            utc(2026, 3, 29, 1),  # 02:30 does not exist that night: the window opens at the jump (03:00)
            id="skipped-start-opens-at-the-jump",
        ),
        pytest.param(
            "30 2 * * *",
            "Europe/Berlin",
            H,
            utc(2026, 3, 29, 2),
            utc(2026, 3, 30, 0, 30),
            id="day-after-spring",
        ),
        pytest.param(
            "30 2 * * *",
            "Europe/Berlin",
            H,
            utc(2026, 10, 24, 12),
            utc(2026, 10, 25, 0, 30),  # 02:30 comes twice: the first time (CEST) opens the window
            id="repeated-start-opens-the-first-time",
        ),
        pytest.param(
            "30 2 * * *",
            "Europe/Berlin",
            10 * M,
            utc(2026, 10, 25, 0, 45),  # between the two 02:30s: the second one opens nothing
            utc(2026, 10, 26, 1, 30),
            id="repeated-start-opens-once",
        ),
        pytest.param("0 0 29 2 *", "UTC", H, utc(2026, 1, 1), utc(2028, 2, 29), id="leap-day"),
    ],
)
def test_the_next_window_follows_the_zones_calendar(cron, zone, duration, at, opens) -> None:
    assert next_window([window(cron, duration, zone)], at) == Opening(opens, opens + duration)


def test_a_window_that_never_comes_is_none() -> None:
    assert next_window([window("0 0 30 2 *")], utc(2026, 1, 1)) is None


def test_of_several_windows_the_open_or_earliest_one_wins() -> None:
    windows = [window("0 4 * * *"), window("0 1 * * *", 3 * H), window("0 6 * * *")]

    assert next_window(windows, utc(2026, 5, 4, 2)) == Opening(utc(2026, 5, 4, 1), utc(2026, 5, 4, 4))
    assert next_window(windows, utc(2026, 5, 4, 4, 30)) == Opening(utc(2026, 5, 4, 4), utc(2026, 5, 4, 5))


def test_a_window_lasts_its_duration_in_real_time_across_a_clock_change() -> None:
    opening = next_window([window("0 1 * * *", 3 * H, "Europe/Berlin")], utc(2026, 3, 28, 12))

    assert opening == Opening(utc(2026, 3, 29, 0), utc(2026, 3, 29, 3))  # 01:00 CET to 05:00 CEST


@pytest.mark.parametrize(
    ("wall", "zone", "moment"),
    [
        (datetime(2026, 3, 8, 2, 30), "America/New_York", utc(2026, 3, 8, 7)),  # skipped: at the jump
        (datetime(2026, 11, 1, 1, 30), "America/New_York", utc(2026, 11, 1, 5, 30)),  # repeated: first
        (datetime(2026, 7, 1, 12), "Australia/Lord_Howe", utc(2026, 7, 1, 1, 30)),
        (datetime(2026, 10, 4, 2, 15), "Australia/Lord_Howe", utc(2026, 10, 3, 15, 30)),  # a 30-minute jump
    ],
)
def test_wall_times_become_moments(wall, zone, moment) -> None:
    assert instant(wall, ZoneInfo(zone)) == moment


# When a due renewal starts

NOT_AFTER = utc(2026, 6, 30)
DUE = utc(2026, 6, 1, 12)  # deadline: halfway to NOT_AFTER, 2026-06-15 18:00
NIGHTLY = [window("0 2 * * *", 2 * H)]
SUNDAYS = [window("0 2 * * SUN", 2 * H)]


@pytest.mark.parametrize(
    ("windows", "due", "now", "timing"),
    [
        pytest.param([], DUE, DUE - DAY, Timing(DUE), id="no-windows-renews-when-due"),
        pytest.param(NIGHTLY, DUE, DUE - DAY, Timing(utc(2026, 6, 2, 2)), id="waits-for-the-next-window"),
        pytest.param(NIGHTLY, utc(2026, 6, 2, 3), DUE, Timing(utc(2026, 6, 2, 3)), id="due-inside-a-window"),
        pytest.param(
            NIGHTLY, DUE, utc(2026, 6, 3, 2, 30), Timing(utc(2026, 6, 3, 2, 30)), id="late-look-in-window"
        ),
        pytest.param(
            NIGHTLY, DUE, utc(2026, 6, 3, 5), Timing(utc(2026, 6, 4, 2)), id="missed-window-waits-again"
        ),
        pytest.param(
            [window("0 2 1 1 *")],
            DUE,
            DUE - DAY,
            Timing(deadline(DUE, NOT_AFTER), True),
            id="none-before-deadline",
        ),
        pytest.param(
            SUNDAYS,
            DUE,
            utc(2026, 6, 20),
            Timing(deadline(DUE, NOT_AFTER), True),
            id="past-deadline-renews-now",
        ),
        pytest.param(
            SUNDAYS, DUE, utc(2026, 6, 21, 3), Timing(utc(2026, 6, 21, 3)), id="past-deadline-in-window"
        ),
    ],
)
def test_a_due_renewal_waits_for_a_window_until_its_deadline(windows, due, now, timing) -> None:
    assert renewal_timing(windows, due, NOT_AFTER, now) == timing


def test_the_deadline_is_half_the_margin_to_expiry() -> None:
    not_before = utc(2026, 1, 1)
    due = not_before + timedelta(days=60)  # the default renewal of a 90-day certificate

    assert deadline(due, not_before + timedelta(days=90)) == not_before + timedelta(days=75)
    assert deadline(NOT_AFTER + DAY, NOT_AFTER) == NOT_AFTER + DAY


# Windows a spec may not have


def spec_with(windows: list[dict[str, str]], **spec: Any) -> Any:
    body = {
        "metadata": {"name": "site", "namespace": "web"},
        "spec": {
            "secretName": "site-tls",
            "dnsNames": ["site.example.org"],
            "issuerRef": {"name": "ca"},
            "renewal": {"windows": windows},
            **spec,
        },
    }
    return parse_certificate(body)


DAILY = {"cron": "0 3 * * *", "windowDuration": "1h"}
WEEKLY = {"cron": "0 3 * * SAT", "timezone": "Europe/Berlin", "windowDuration": "4h"}
YEARLY = {"cron": "0 0 1 1 *", "windowDuration": "24h"}
NOW = utc(2026, 5, 4, 12)


@pytest.mark.parametrize(
    ("windows", "spec", "lifetime"),
    [
        pytest.param([DAILY], {}, None, id="daily-unknown-lifetime"),
        pytest.param([YEARLY], {}, None, id="yearly-opens-within-a-year"),
        pytest.param([WEEKLY], {}, (NOW, NOW + timedelta(days=90)), id="weekly-90-days"),
        pytest.param([WEEKLY], {"duration": "2160h"}, None, id="weekly-90-day-duration"),
        pytest.param([DAILY], {"renewBefore": "48h"}, None, id="daily-renew-before-two-days"),
        pytest.param([{"cron": "* * * * *", "windowDuration": "5m"}], {}, (NOW, NOW + H), id="always-open"),
    ],
)
def test_windows_that_fit_the_margin_are_accepted(windows, spec, lifetime) -> None:
    not_before, not_after = lifetime or (None, None)

    check_windows(spec_with(windows, **spec), not_before, not_after, NOW)


@pytest.mark.parametrize(
    ("windows", "spec", "lifetime", "says"),
    [
        pytest.param(
            [{"cron": "0 0 30 2 *", "windowDuration": "1h"}],
            {},
            None,
            "never open in the year ahead",
            id="feb-30",
        ),
        pytest.param(
            [YEARLY], {}, (NOW, NOW + timedelta(days=90)), "with no window open (from", id="yearly-90-days"
        ),
        pytest.param([WEEKLY], {"duration": "720h"}, None, "at most 120h", id="weekly-30-day-duration"),
        pytest.param(
            [WEEKLY],
            {"renewBefore": "48h"},
            None,
            "a renewal waits for a window at most 24h",
            id="weekly-48h",
        ),
        pytest.param(
            [DAILY], {}, (NOW, NOW + timedelta(seconds=30)), "at most 7.5s", id="daily-30-second-lifetime"
        ),
    ],
)
def test_windows_that_leave_too_long_closed_are_refused(windows, spec, lifetime, says) -> None:
    not_before, not_after = lifetime or (None, None)

    with pytest.raises(InvalidSpec) as error:
        check_windows(spec_with(windows, **spec), not_before, not_after, NOW)

    assert "spec.renewal.windows" in error.value.message and says in error.value.message


def test_the_allowed_wait_is_half_the_renewal_margin() -> None:
    spec = spec_with([DAILY])

    assert allowed_wait(spec, NOW, NOW + timedelta(days=90)) == timedelta(days=15)
    assert allowed_wait(spec_with([DAILY], renewBefore="240h"), None, None) == timedelta(days=5)
    assert allowed_wait(spec, None, None) is None


def test_the_longest_closed_stretch_of_weekday_windows_is_the_weekend() -> None:
    weekdays = (window("0 9 * * MON-FRI", 8 * H),)
    since = utc(2026, 5, 4)  # a Monday

    assert longest_closed(weekdays, since, since + 14 * DAY) == (utc(2026, 5, 8, 17), utc(2026, 5, 11, 9))


def test_the_longest_closed_stretch_counts_real_hours_on_a_clock_change_night() -> None:
    nightly = (window("0 1,4 * * *", H, "Europe/Berlin"),)

    # From 02:00 CET to 04:00 CEST on the spring-forward night is one real hour, not two.
    stretch = longest_closed(nightly, utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 3, 30))
    assert stretch == (utc(2026, 3, 29, 1), utc(2026, 3, 29, 2))


def test_an_every_minute_window_is_closed_only_while_the_clocks_repeat_an_hour() -> None:
    always = (window("* * * * *", 5 * M, "Europe/Berlin"),)

    # 02:00-02:59 opened windows the first time; the second time round they open nothing.
    stretch = longest_closed(always, NOW, NOW + 366 * DAY)
    assert stretch == (utc(2026, 10, 25, 1, 4), utc(2026, 10, 25, 2))
