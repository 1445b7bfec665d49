"""`evercert check`: which Certificates make it exit 1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from evercert.cli import main
from evercert.cli.check import offences

NOW = datetime(2026, 1, 1, tzinfo=UTC)
TWO_WEEKS = timedelta(days=14)


def certificate(
    name: str, ready: str = "True", not_after: datetime | None = None, **ready_fields: str
) -> dict[str, Any]:
    status: dict[str, Any] = {"conditions": [{"type": "Ready", "status": ready, **ready_fields}]}
    if not_after:
        status["notAfter"] = not_after.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"metadata": {"name": name, "namespace": "web"}, "status": status}


def test_ready_certificates_far_from_expiry_pass() -> None:
    assert offences([certificate("www", not_after=NOW + timedelta(days=60))], NOW, TWO_WEEKS) == []


def test_no_certificates_pass() -> None:
    assert offences([], NOW, TWO_WEEKS) == []


def test_one_expiring_within_the_window_is_an_offence() -> None:
    found = offences([certificate("www", not_after=NOW + timedelta(days=10))], NOW, TWO_WEEKS)
    assert [(o.namespace, o.name, o.problem) for o in found] == [("web", "www", "expires in 10d")]


def test_the_window_edge_counts_as_within() -> None:
    assert offences([certificate("www", not_after=NOW + TWO_WEEKS)], NOW, TWO_WEEKS)
    assert not offences(
        [certificate("www", not_after=NOW + TWO_WEEKS + timedelta(seconds=1))], NOW, TWO_WEEKS
    )


def test_an_expired_certificate_is_an_offence() -> None:
    found = offences([certificate("www", not_after=NOW - timedelta(days=2))], NOW, TWO_WEEKS)
    assert found[0].problem == "expired 2d ago"


def test_not_ready_is_an_offence_with_its_reason_and_message() -> None:
    failing = certificate(
        "api", "False", NOW + timedelta(days=60), reason="IssuerNotReady", message="issuer x is not ready"
    )
    found = offences([failing], NOW, TWO_WEEKS)
    assert found[0].problem == "not Ready (IssuerNotReady: issuer x is not ready)"


def test_one_never_issued_is_an_offence() -> None:
    never = {"metadata": {"name": "new", "namespace": "web"}}
    assert offences([never], NOW, TWO_WEEKS)[0].problem == "not Ready; no certificate yet"


def test_only_offenders_are_listed() -> None:
    bodies = [
        certificate("fine", not_after=NOW + timedelta(days=60)),
        certificate("soon", not_after=NOW + timedelta(days=1)),
    ]
    assert [o.name for o in offences(bodies, NOW, TWO_WEEKS)] == ["soon"]


@pytest.mark.parametrize("window", ["14x", "two weeks", "-3d", ""])
def test_a_bad_window_is_a_usage_error_with_status_2(window: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["check", "--expires-within", window])
    assert exited.value.code == 2
    assert "--expires-within" in capsys.readouterr().err
