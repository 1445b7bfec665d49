"""Pure: renewal windows (spec.renewal.windows) on the calendar of their time zone, and when a due
renewal may start.

Times are the zone's wall-clock times; a window lasts its duration of real time from its start.
Daylight-saving changes: a start the clocks skip (02:30 on a spring-forward night) opens the window when
they jump (03:00), and a start the clocks pass twice (02:30 on an autumn night) opens it once, the
first time.

A renewal that falls due waits for the next open window, but never past its deadline: half the time
it had left when it fell due (the renewal margin halved: 1/6 of the lifetime for the default renewal at
2/3, `renewBefore`/2 when set). What is left then is the other half, kept for failed attempts and their
backoff (retry.py). When no window opens before the deadline (a clock jump, a long outage, a window
that cannot fit a lifetime the CA shortened), the renewal starts at the deadline, outside the windows.
"""

from __future__ import annotations

import bisect
import datetime
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

from ..api.renewal import RenewalWindow
from .cron import CronSchedule

UTC = datetime.UTC
# Windows are looked for this far ahead: far enough for a schedule of one day in four years (29 Feb).
SEARCH_DAYS = 4 * 366
_DAY = datetime.timedelta(days=1)
# No zone moves its clocks by more than this: local times that far before a moment are surely before it.
_MAX_SHIFT = datetime.timedelta(hours=3)


@dataclass(frozen=True)
class Opening:
    """One window: open from `start` (included) to `end` (excluded), in UTC."""

    start: datetime.datetime
    end: datetime.datetime


@dataclass(frozen=True)
class Timing:
    """When a due renewal starts, and whether that is outside every window (the deadline came first)."""

    renew_at: datetime.datetime
    outside_window: bool = False


def deadline(due: datetime.datetime, not_after: datetime.datetime) -> datetime.datetime:
    """The latest a renewal due at `due` waits for a window: half its margin to expiry."""
    return due + max(not_after - due, datetime.timedelta(0)) / 2


def renewal_timing(
    windows: Sequence[RenewalWindow],
    due: datetime.datetime,
    not_after: datetime.datetime,
    now: datetime.datetime,
) -> Timing:
    """When a renewal due at `due` starts: at once if a window is open (at `due`, or now when later),
    else when the next window opens, else at its deadline, outside the windows."""
    if not windows:
        return Timing(due)
    start = max(due, now)
    last = deadline(due, not_after)
    opening = next_window(windows, start)
    if opening is not None and (opening.start <= start or opening.start < last):
        return Timing(max(opening.start, start))
    return Timing(last, outside_window=True)


def next_window(windows: Sequence[RenewalWindow], at: datetime.datetime) -> Opening | None:
    """The window open at `at`, else the next one to open (the earliest start wins); None if no window
    opens within SEARCH_DAYS."""
    found = (_next_opening(window, at) for window in windows)
    return min((opening for opening in found if opening is not None), key=lambda o: o.start, default=None)


def openings(window: RenewalWindow, since: datetime.datetime) -> Iterator[Opening]:
    """Every window of `window` that is still open at `since` or opens later, in order of start."""
    zone, schedule, duration = window.zone, window.schedule, window.duration
    times = _times_of_day(schedule)
    earliest = _wall_time(since - duration, zone) - _MAX_SHIFT
    date = earliest.date()
    for _ in range(SEARCH_DAYS):
        if schedule.matches_date(date):
            first = bisect.bisect_left(times, earliest.time()) if date == earliest.date() else 0
            for time in times[first:]:
                start = instant(datetime.datetime.combine(date, time), zone)
                if start + duration > since:
                    yield Opening(start, start + duration)
        date += _DAY


def instant(wall: datetime.datetime, zone: ZoneInfo) -> datetime.datetime:
    """The UTC moment a naive wall-clock time of `zone` comes: its first occurrence when the clocks pass
    it twice, the moment they jump when they skip it."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if _wall_time(first, zone) == wall:
        return first
    # Skipped: fold=0 reads the time with the offset before the jump (a moment after it), fold=1 with
    # the offset after it (a moment before it); the jump lies between the two.
    before, after = wall.replace(tzinfo=zone, fold=1).astimezone(UTC), first
    while after - before > datetime.timedelta(seconds=1):
        middle = before + (after - before) / 2
        if _wall_time(middle, zone) > wall:
            after = middle
        else:
            before = middle
    return after.replace(microsecond=0)  # clocks change on a whole second


def _next_opening(window: RenewalWindow, at: datetime.datetime) -> Opening | None:
    return next(openings(window, at), None)


def _wall_time(moment: datetime.datetime, zone: ZoneInfo) -> datetime.datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


@cache
def _times_of_day(schedule: CronSchedule) -> tuple[datetime.time, ...]:
    return schedule.times_of_day()
