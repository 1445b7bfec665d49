"""Cron expressions in evercert.certificates.cron: what each field accepts and which days match."""

from __future__ import annotations

from datetime import date, time

import pytest

from evercert.certificates.cron import CronError, parse_cron


@pytest.mark.parametrize(
    ("expression", "minutes", "hours"),
    [
        ("0 2 * * *", (0,), (2,)),
        ("*/15 * * * *", (0, 15, 30, 45), tuple(range(24))),
        ("5-10/2 1,13 * * *", (5, 7, 9), (1, 13)),
        ("50/5 22-23 * * *", (50, 55), (22, 23)),
        ("0,30 9-17/4 * * *", (0, 30), (9, 13, 17)),
        ("  0   3  * * *  ", (0,), (3,)),
    ],
)
def test_minutes_and_hours_take_lists_ranges_and_steps(expression, minutes, hours) -> None:
    schedule = parse_cron(expression)

    assert (schedule.minutes, schedule.hours) == (minutes, hours)


@pytest.mark.parametrize(
    ("expression", "months", "weekdays"),
    [
        ("0 0 * JAN,jul *", (1, 7), (0, 1, 2, 3, 4, 5, 6)),
        ("0 0 * mar-May SAT,sun", (3, 4, 5), (0, 6)),
        ("0 0 * * MON-FRI", tuple(range(1, 13)), (1, 2, 3, 4, 5)),
        ("0 0 * * 7", tuple(range(1, 13)), (0,)),
        ("0 0 * */3 5-7", (1, 4, 7, 10), (0, 5, 6)),
    ],
)
def test_months_and_weekdays_take_names_and_seven_is_sunday(expression, months, weekdays) -> None:
    schedule = parse_cron(expression)

    assert (schedule.months, schedule.weekdays) == (months, weekdays)


@pytest.mark.parametrize(
    ("macro", "expression"),
    [("@daily", "0 0 * * *"), ("@weekly", "0 0 * * 0"), ("@HOURLY", "0 * * * *"), ("@yearly", "0 0 1 1 *")],
)
def test_macros_stand_for_their_expressions(macro, expression) -> None:
    assert parse_cron(macro) == parse_cron(expression)


@pytest.mark.parametrize(
    ("expression", "day", "matches"),
    [
        ("0 0 13 * *", date(2026, 2, 13), True),
        ("0 0 13 * *", date(2026, 2, 14), False),
        ("0 0 * * FRI", date(2026, 2, 13), True),  # a Friday
        ("0 0 * * FRI", date(2026, 2, 12), False),
        # Both day fields restricted: either one matching is enough, as cron has it.
        ("0 0 13 * FRI", date(2026, 2, 20), True),
        ("0 0 13 * FRI", date(2026, 3, 13), True),
        ("0 0 13 * FRI", date(2026, 3, 14), False),
        # One restricted, the other `*` (with or without a step): both must match.
        ("0 0 1-7 * */1", date(2026, 3, 2), True),
        ("0 0 1-31/2 * *", date(2026, 3, 2), False),
        ("0 0 * FEB *", date(2026, 3, 1), False),
        ("0 0 29 2 *", date(2028, 2, 29), True),
    ],
)
def test_days_match_by_month_day_or_weekday(expression, day, matches) -> None:
    assert parse_cron(expression).matches_date(day) is matches


def test_times_of_day_are_every_hour_and_minute_in_order() -> None:
    times = parse_cron("15,45 1-2 * * *").times_of_day()

    assert times == (time(1, 15), time(1, 45), time(2, 15), time(2, 45))


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("0 2 * *", "has 4 fields but needs 5"),
        ("0 2 * * * *", "has 6 fields"),
        ("60 2 * * *", "minute field ('60'): 60 is outside 0-59"),
        ("0 24 * * *", "hour field ('24'): 24 is outside 0-23"),
        ("0 0 0 * *", "day of month field ('0'): 0 is outside 1-31"),
        ("0 0 * 13 *", "month field ('13'): 13 is outside 1-12"),
        ("0 0 * * 8", "day of week field ('8'): 8 is outside 0-7"),
        ("0 0 * * MONDAY", "'MONDAY' is not a number or a name (SUN, MON"),
        ("0 0 * FOO *", "'FOO' is not a number or a name (JAN"),
        ("x 0 * * *", "'x' is not a number"),
        ("*/0 0 * * *", "the step after '/' must be a whole number above 0"),
        ("*/x 0 * * *", "the step after '/'"),
        ("0 5-2 * * *", "must not run backwards (5 is after 2)"),
        ("0 FRI-MON * * *", "'FRI' is not a number"),
        ("0 0 * * FRI-MON", "must not run backwards (5 is after 1)"),
        ("0 1,,2 * * *", "'' is not a number"),
        ("", "has 1 fields"),
    ],
)
def test_a_bad_expression_says_which_field_and_why(expression, says) -> None:
    with pytest.raises(CronError) as error:
        parse_cron(expression)

    assert says in str(error.value)
