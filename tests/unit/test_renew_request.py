"""`evercert renew` as the administrator's early retry (certificates.decide.skips_the_wait)."""

from __future__ import annotations

from evercert.certificates.decide import skips_the_wait
from evercert.certificates.status import parse_status

FAILED = parse_status({"failedIssuanceAttempts": 4, "lastFailureTime": "2026-03-01T12:00:00Z"})


def test_a_request_made_after_the_last_failure_skips_the_wait():
    assert skips_the_wait("2026-03-01T12:00:01Z", FAILED)


def test_a_request_older_than_the_last_failure_waits_so_a_failing_renewal_does_not_loop():
    assert not skips_the_wait("2026-03-01T12:00:00Z", FAILED)
    assert not skips_the_wait("2026-03-01T11:00:00Z", FAILED)


def test_no_request_waits():
    assert not skips_the_wait(None, FAILED)


def test_a_request_that_is_not_a_time_skips_only_when_nothing_failed_yet():
    assert skips_the_wait("please", parse_status({}))
    assert not skips_the_wait("please", FAILED)
