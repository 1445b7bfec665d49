"""Go-style durations ("2160h", "1h30m", "1.5h") as cert-manager's fields hold them, plus "d" for days."""

from __future__ import annotations

import datetime
import re
from fractions import Fraction

from ..core.errors import InvalidSpec

# The CRD schemas use this same pattern, so admission and parse_duration accept the same strings.
GO_DURATION_PATTERN = r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h|d))+$"

_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h|d)")
_MICROSECONDS_PER_UNIT = {
    "ns": Fraction(1, 1000),
    "us": Fraction(1),
    "µs": Fraction(1),
    "ms": Fraction(1000),
    "s": Fraction(1_000_000),
    "m": Fraction(60_000_000),
    "h": Fraction(3_600_000_000),
    "d": Fraction(86_400_000_000),
}
_MICROSECONDS_PER_HOUR = 3_600_000_000
_MICROSECONDS_PER_MINUTE = 60_000_000
_MICROSECONDS_PER_SECOND = 1_000_000
_MICROSECONDS_PER_MILLISECOND = 1000


def parse_duration(text: str, field: str = "duration") -> datetime.timedelta:
    """The timedelta `text` spells; InvalidSpec naming `field` when it is not a duration."""
    if not isinstance(text, str) or not re.fullmatch(GO_DURATION_PATTERN, text):
        raise InvalidSpec(
            f"{field}: {text!r} is not a duration: write a number and a unit (h, m, s, ms or d), "
            "repeated as needed, e.g. 2160h, 1h30m, 1.5h or 90d"
        )
    micros = sum(Fraction(number) * _MICROSECONDS_PER_UNIT[unit] for number, unit in _PART.findall(text))
    try:
        return datetime.timedelta(microseconds=round(micros))
    except OverflowError:
        raise InvalidSpec(f"{field}: {text!r} is too long a duration") from None


def format_duration(duration: datetime.timedelta) -> str:
    """`duration` as Go prints one: "2160h0m0s", "1m30s", "1.5s", "250ms"."""
    micros = duration // datetime.timedelta(microseconds=1)
    sign = "-" if micros < 0 else ""
    return sign + _format_positive(abs(micros))


def _format_positive(micros: int) -> str:
    if micros == 0:
        return "0s"
    if micros < _MICROSECONDS_PER_MILLISECOND:
        return f"{micros}µs"
    if micros < _MICROSECONDS_PER_SECOND:
        return f"{_decimal(micros, _MICROSECONDS_PER_MILLISECOND)}ms"
    hours, rest = divmod(micros, _MICROSECONDS_PER_HOUR)
    minutes, rest = divmod(rest, _MICROSECONDS_PER_MINUTE)
    text = f"{_decimal(rest, _MICROSECONDS_PER_SECOND)}s"
    if hours or minutes:
        text = f"{minutes}m{text}"
    if hours:
        text = f"{hours}h{text}"
    return text


def _decimal(value: int, unit: int) -> str:
    """`value / unit` written with as few fraction digits as are exact ("1.5", "30")."""
    whole, fraction = divmod(value, unit)
    if not fraction:
        return str(whole)
    digits = str(fraction).rjust(len(str(unit)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}"
