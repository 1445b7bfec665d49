"""spec.renewal in evercert.api.renewal: cert-manager's fields, and what a bad value says."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from evercert.api.certificate import parse_certificate
from evercert.api.durations import GO_DURATION_PATTERN
from evercert.api.renewal import MAX_WINDOWS, RENEWAL_POLICIES
from evercert.core.errors import InvalidSpec

from .test_crds import schema


def parse(renewal: Any) -> Any:
    return parse_certificate(
        {
            "metadata": {"name": "site", "namespace": "web"},
            "spec": {
                "secretName": "site-tls",
                "dnsNames": ["site.example.org"],
                "issuerRef": {"name": "ca"},
                "renewal": renewal,
            },
        }
    )


def test_windows_read_as_cert_manager_writes_them() -> None:
    spec = parse(
        {
            "policy": "RenewBefore",
            "windows": [
                {"cron": "0 2 * * SAT", "timezone": "America/Denver", "windowDuration": "2h30m"},
                {"cron": "@daily", "windowDuration": "1h"},
            ],
        }
    )

    first, second = spec.renewal_windows
    assert first.schedule.hours == (2,) and first.schedule.weekdays == (6,)
    assert first.zone == ZoneInfo("America/Denver") and first.duration == timedelta(hours=2, minutes=30)
    assert second.zone == ZoneInfo("UTC")


def test_no_renewal_section_means_no_windows() -> None:
    assert parse(None).renewal_windows == ()


@pytest.mark.parametrize(
    ("renewal", "says"),
    [
        ({"policy": "Disabled"}, "spec.renewal.policy: Disabled is not supported"),
        ({"policy": "Sometimes"}, "spec.renewal.policy must be one of RenewBefore"),
        ({"windows": [{"windowDuration": "1h"}]}, "spec.renewal.windows[0].cron must be set"),
        ({"windows": [{"cron": "0 2 * *", "windowDuration": "1h"}]}, "windows[0].cron: '0 2 * *' has 4"),
        ({"windows": [{"cron": "0 2 * * *"}]}, "spec.renewal.windows[0].windowDuration must be set"),
        (
            {"windows": [{"cron": "0 2 * * *", "windowDuration": "1m"}]},
            "spec.renewal.windows[0].windowDuration is 1m0s but must be at least 5m0s",
        ),
        (
            {"windows": [{"cron": "0 2 * * *", "windowDuration": "1h", "timezone": "Mars/Olympus"}]},
            "spec.renewal.windows[0].timezone: 'Mars/Olympus' is not a known IANA time zone",
        ),
        (
            {"windows": [{"cron": "0 2 * * *", "windowDuration": "1h", "timezone": "../../etc/passwd"}]},
            "is not a known IANA time zone",
        ),
        ({"windows": [{"cron": "0 2 * * *", "windowDuration": "1h"}] * 11}, "may list at most 10"),
    ],
)
def test_a_bad_renewal_section_names_the_field(renewal, says) -> None:
    with pytest.raises(InvalidSpec) as error:
        parse(renewal)

    assert says in error.value.message


def test_the_crd_admits_what_the_parser_reads() -> None:
    renewal = schema("certificates", "spec", "renewal")
    window = schema("certificates", "spec", "renewal", "windows", "items")
    assert tuple(renewal["properties"]["policy"]["enum"]) == RENEWAL_POLICIES
    assert renewal["properties"]["windows"]["maxItems"] == MAX_WINDOWS
    assert window["properties"]["windowDuration"]["pattern"] == GO_DURATION_PATTERN
    assert set(window["required"]) == {"cron", "windowDuration"}
