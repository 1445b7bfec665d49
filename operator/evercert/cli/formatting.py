"""Text for people, the way kubectl writes it: aligned columns, short durations, times relative to now."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

NONE = "<none>"
# kubectl separates columns by three spaces.
_PADDING = 3
_MINUTE = 60
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR
_YEAR = 365 * _DAY


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell, as `kubectl get` prints them (no trailing blanks)."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = []
    for row in (headers, *rows):
        cells = [str(cell).ljust(width + _PADDING) for cell, width in zip(row, widths, strict=True)]
        lines.append("".join(cells).rstrip())
    return "\n".join(lines)


def short_duration(delta: datetime.timedelta) -> str:
    """A duration in kubectl's AGE style: "45s", "3m20s", "5h", "12d", "2y30d"."""
    seconds = int(delta.total_seconds())
    if seconds < 0:
        return "0s"
    if seconds < 2 * _MINUTE:
        return f"{seconds}s"
    if seconds < 10 * _MINUTE:
        return _two_units(seconds, _MINUTE, "m", 1, "s")
    if seconds < 3 * _HOUR:
        return f"{seconds // _MINUTE}m"
    if seconds < 8 * _HOUR:
        return _two_units(seconds, _HOUR, "h", _MINUTE, "m")
    if seconds < 2 * _DAY:
        return f"{seconds // _HOUR}h"
    if seconds < 8 * _DAY:
        return _two_units(seconds, _DAY, "d", _HOUR, "h")
    if seconds < 2 * _YEAR:
        return f"{seconds // _DAY}d"
    if seconds < 8 * _YEAR:
        return _two_units(seconds, _YEAR, "y", _DAY, "d")
    return f"{seconds // _YEAR}y"


def _two_units(seconds: int, big: int, big_unit: str, small: int, small_unit: str) -> str:
    whole, rest = divmod(seconds, big)
    part = rest // small
    return f"{whole}{big_unit}{part}{small_unit}" if part else f"{whole}{big_unit}"


def relative(moment: datetime.datetime | None, now: datetime.datetime) -> str:
    """ "in 59d" for a future moment, "3h ago" for a past one, <none> for none."""
    if moment is None:
        return NONE
    if moment >= now:
        return f"in {short_duration(moment - now)}"
    return f"{short_duration(now - moment)} ago"


def parse_time(text: object) -> datetime.datetime | None:
    """An RFC 3339 time from an object's fields (UTC when it names no zone); None when absent or garbled."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)
