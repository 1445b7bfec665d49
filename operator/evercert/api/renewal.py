"""spec.renewal as cert-manager v1.21 has it: a `policy` and `windows` (cron, timezone, windowDuration)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..certificates.cron import CronError, CronSchedule, parse_cron
from ..core.errors import InvalidSpec
from .durations import format_duration, parse_duration
from .fields import Fields

# Only RenewBefore: evercert never lets a certificate lapse, so cert-manager's Disabled is refused.
RENEWAL_POLICIES = ("RenewBefore",)
WINDOWS_PATH = "spec.renewal.windows"
MAX_WINDOWS = 10
MIN_WINDOW_DURATION = datetime.timedelta(minutes=5)  # time for a renewal to start inside it


@dataclass(frozen=True)
class RenewalWindow:
    """When renewals may start: at each time of `schedule` in `zone`, for `duration`."""

    schedule: CronSchedule
    zone: ZoneInfo
    duration: datetime.timedelta


def renewal_windows(section: Fields) -> tuple[RenewalWindow, ...]:
    """The windows of spec.renewal (none when it is unset); InvalidSpec names the field to fix."""
    if section.optional_str("policy") == "Disabled":
        raise InvalidSpec(
            f"{section.path_of('policy')}: Disabled is not supported: evercert renews every certificate "
            "before it expires; remove the field or set RenewBefore"
        )
    section.choice("policy", RENEWAL_POLICIES, RENEWAL_POLICIES[0])
    windows = tuple(_renewal_window(window) for window in section.sections("windows"))
    if len(windows) > MAX_WINDOWS:
        raise InvalidSpec(
            f"{section.path_of('windows')} lists {len(windows)} windows but may list at most {MAX_WINDOWS}"
        )
    return windows


def _renewal_window(window: Fields) -> RenewalWindow:
    try:
        schedule = parse_cron(window.required_str("cron"))
    except CronError as exc:
        raise InvalidSpec(f"{window.path_of('cron')}: {exc}") from None
    duration = parse_duration(window.required_str("windowDuration"), window.path_of("windowDuration"))
    if duration < MIN_WINDOW_DURATION:
        raise InvalidSpec(
            f"{window.path_of('windowDuration')} is {format_duration(duration)} but must be at least "
            f"{format_duration(MIN_WINDOW_DURATION)}, so that a renewal has time to start inside it"
        )
    return RenewalWindow(schedule, _zone(window), duration)


def _zone(window: Fields) -> ZoneInfo:
    name = window.optional_str("timezone") or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidSpec(
            f"{window.path_of('timezone')}: {name!r} is not a known IANA time zone "
            "(such as Europe/Berlin or America/New_York)"
        ) from None
