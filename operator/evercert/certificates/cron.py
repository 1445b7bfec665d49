"""Pure: five-field cron expressions (minute hour day-of-month month day-of-week), as Vixie cron reads them.

Each field is a comma list of `*`, `N`, `A-B`, each with an optional `/STEP`; months and weekdays also
take their English names (`JAN`, `MON`; any case). Weekday 0 and 7 are Sunday. When both day fields are
restricted, a day matches if either does (as cron does). `@yearly`, `@monthly`, `@weekly`, `@daily` and
`@hourly` stand for their usual expressions."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


class CronError(ValueError):
    """The expression cannot be read; the text says which field and why."""


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    first_name: int = 0  # the number of names[0]


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day of month", 1, 31),
    _Field("month", 1, 12, MONTH_NAMES, 1),
    _Field("day of week", 0, 7, WEEKDAY_NAMES, 0),
)


@dataclass(frozen=True)
class CronSchedule:
    """The minutes, hours, days, months and weekdays (0 = Sunday) an expression matches, sorted."""

    expression: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: tuple[int, ...]
    months: tuple[int, ...]
    weekdays: tuple[int, ...]
    days_restricted: bool  # the day-of-month field is not `*`
    weekdays_restricted: bool

    def matches_date(self, date: datetime.date) -> bool:
        """Whether the schedule has times on this (local) date."""
        if date.month not in self.months:
            return False
        by_day = date.day in self.days
        by_weekday = date.isoweekday() % 7 in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return by_day or by_weekday
        return by_day and by_weekday

    def times_of_day(self) -> tuple[datetime.time, ...]:
        """Every local time of day the schedule starts at, in order."""
        return tuple(datetime.time(hour, minute) for hour in self.hours for minute in self.minutes)


def parse_cron(expression: str) -> CronSchedule:
    """The schedule of a cron expression; CronError says what is wrong with it."""
    text = " ".join(expression.split())
    text = MACROS.get(text.lower(), text)
    parts = text.split(" ")
    if len(parts) != len(_FIELDS):
        raise CronError(
            f"{expression!r} has {len(parts)} fields but needs 5: minute hour day-of-month month day-of-week"
        )
    values = [_parse_field(part, spec) for part, spec in zip(parts, _FIELDS, strict=True)]
    weekdays = tuple(sorted({day % 7 for day in values[4]}))
    return CronSchedule(
        expression=text,
        minutes=values[0],
        hours=values[1],
        days=values[2],
        months=values[3],
        weekdays=weekdays,
        days_restricted=not parts[2].startswith("*"),
        weekdays_restricted=not parts[4].startswith("*"),
    )


def _parse_field(text: str, spec: _Field) -> tuple[int, ...]:
    found: set[int] = set()
    for item in text.split(","):
        found.update(_parse_item(item, spec))
    return tuple(sorted(found))


def _parse_item(item: str, spec: _Field) -> range:
    where = f"the {spec.name} field ({item!r})"
    span, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not step_text.isdigit() or int(step_text) == 0:
            raise CronError(f"{where}: the step after '/' must be a whole number above 0")
        step = int(step_text)
    if span == "*":
        return range(spec.low, spec.high + 1, step)
    start_text, dash, end_text = span.partition("-")
    start = _number(start_text, spec, where)
    # `N/STEP` runs from N to the field's end, as `N-MAX/STEP` does.
    end = _number(end_text, spec, where) if dash else (spec.high if slash else start)
    if end < start:
        raise CronError(f"{where}: a range must not run backwards ({start} is after {end})")
    return range(start, end + 1, step)


def _number(text: str, spec: _Field, where: str) -> int:
    name = text.upper()
    if name in spec.names:
        return spec.names.index(name) + spec.first_name
    if not text.isdigit():
        known = f" or a name ({', '.join(spec.names)})" if spec.names else ""
        raise CronError(f"{where}: {text!r} is not a number{known}")
    value = int(text)
    if not spec.low <= value <= spec.high:
        raise CronError(f"{where}: {value} is outside {spec.low}-{spec.high}")
    return value
