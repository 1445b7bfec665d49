"""Pure: whether a Certificate's renewal windows can serve its renewals; checked by decide() in each pass.

A renewal may wait for a window until its deadline (windows.py): half its margin to expiry. Windows
that leave a longer stretch closed in the year ahead would make some renewal start outside them, so
the spec is refused (InvalidSpec) and says where the stretch is. The margin comes from the served
certificate's lifetime (as status records it), else from spec.duration, else from spec.renewBefore;
when none is known yet, only windows that never open in the year ahead are refused."""

from __future__ import annotations

import datetime
import heapq
from collections.abc import Iterator, Sequence
from functools import cache, lru_cache

from ..api.certificate import CertificateSpec
from ..api.durations import format_duration
from ..api.renewal import WINDOWS_PATH, RenewalWindow
from ..conditions import timestamp
from ..core.errors import InvalidSpec
from .cron import CronSchedule
from .renewal import renewal_time
from .windows import Opening, deadline, instant, next_window

YEAR = datetime.timedelta(days=366)
_DAY = datetime.timedelta(days=1)
_EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)  # any start: only the margin's length counts


def check_windows(
    spec: CertificateSpec,
    not_before: datetime.datetime | None,
    not_after: datetime.datetime | None,
    now: datetime.datetime,
) -> None:
    """Raise InvalidSpec when the windows cannot serve the renewals of the served certificate
    (`not_before`..`not_after`, from status; None before the first one)."""
    windows = spec.renewal_windows
    if not windows:
        return
    since = datetime.datetime.combine(now.date(), datetime.time(), datetime.UTC)
    wait = allowed_wait(spec, not_before, not_after)
    if wait is None:
        opening = next_window(windows, since)
        if opening is None or opening.start > since + YEAR:
            raise InvalidSpec(f"{WINDOWS_PATH} never open in the year ahead: no renewal could start")
        return
    start, end = longest_closed(windows, since, since + YEAR + wait)
    if end - start > wait:
        raise InvalidSpec(
            f"{WINDOWS_PATH} leave {format_duration(end - start)} with no window open "
            f"(from {timestamp(start)} to {timestamp(end)}), but a renewal waits for a window at most "
            f"{format_duration(wait)} (half the time from its renewal time to expiry): open windows more "
            "often or for longer, or renew earlier (spec.renewBefore)"
        )


def allowed_wait(
    spec: CertificateSpec, not_before: datetime.datetime | None, not_after: datetime.datetime | None
) -> datetime.timedelta | None:
    """How long a renewal of this Certificate may wait for a window; None while the lifetime is unknown."""
    if not_before is None or not_after is None:
        if spec.duration is None:
            return spec.renew_before / 2 if spec.renew_before is not None else None
        not_before, not_after = _EPOCH, _EPOCH + spec.duration
    due = renewal_time(
        not_before,
        not_after,
        renew_before=spec.renew_before,
        renew_before_percentage=spec.renew_before_percentage,
    )
    return deadline(due, not_after) - due


@lru_cache(maxsize=512)
def longest_closed(
    windows: tuple[RenewalWindow, ...], since: datetime.datetime, until: datetime.datetime
) -> tuple[datetime.datetime, datetime.datetime]:
    """The longest stretch of [since, until) with no window open, as (start, end)."""
    cursor, longest = since, (since, since)
    for opening in heapq.merge(*(_runs(w, since, until) for w in windows), key=lambda o: o.start):
        if opening.start >= until:
            break
        if opening.start - cursor > longest[1] - longest[0]:
            longest = (cursor, opening.start)
        cursor = max(cursor, opening.end)
    if until - cursor > longest[1] - longest[0]:
        longest = (cursor, until)
    return longest


def _runs(window: RenewalWindow, since: datetime.datetime, until: datetime.datetime) -> Iterator[Opening]:
    """The windows of `window` from `since` to `until`, in order, overlapping ones of a day joined
    (so that an every-minute schedule costs a few steps a day, not 1440)."""
    zone, duration = window.zone, window.duration
    date = (since - duration).astimezone(zone).date() - _DAY
    last = until.astimezone(zone).date() + _DAY
    midnight = datetime.time()
    while date <= last:
        if window.schedule.matches_date(date):
            day_start = datetime.datetime.combine(date, midnight)
            steady = zone.utcoffset(day_start) == zone.utcoffset(day_start + _DAY)
            runs = _day_runs(window.schedule, duration) if steady else _single(window.schedule)
            for first, final in runs:
                start = instant(datetime.datetime.combine(date, first), zone)
                end = instant(datetime.datetime.combine(date, final), zone) + duration
                if end > since:
                    yield Opening(start, end)
        date += _DAY


@cache
def _day_runs(
    schedule: CronSchedule, duration: datetime.timedelta
) -> tuple[tuple[datetime.time, datetime.time], ...]:
    """The day's start times in runs whose windows overlap: (first start, last start) of each."""
    runs: list[list[datetime.time]] = []
    for time in schedule.times_of_day():
        if runs and _minutes(time) - _minutes(runs[-1][1]) <= duration / datetime.timedelta(minutes=1):
            runs[-1][1] = time
        else:
            runs.append([time, time])
    return tuple((first, final) for first, final in runs)


@cache
def _single(schedule: CronSchedule) -> Sequence[tuple[datetime.time, datetime.time]]:
    """Each start on its own: on a day the clocks change, wall-clock distances are not real ones."""
    return tuple((time, time) for time in schedule.times_of_day())


def _minutes(time: datetime.time) -> int:
    return time.hour * 60 + time.minute
