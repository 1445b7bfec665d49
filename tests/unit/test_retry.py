"""The one retry policy (evercert.retry): backoff after failures, and the CA's Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from evercert.retry import RetryPolicy

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
POLICY = RetryPolicy()


def test_no_backoff_before_any_failure():
    assert POLICY.delay(0) == timedelta(0)
    assert POLICY.delay(-1) == timedelta(0)


@pytest.mark.parametrize(
    ("failed_attempts", "delay"),
    [
        (1, timedelta(minutes=1)),
        (2, timedelta(minutes=2)),
        (3, timedelta(minutes=4)),
        (8, timedelta(minutes=128)),
        (9, timedelta(hours=4)),
        (10_000, timedelta(hours=4)),
    ],
)
def test_backoff_doubles_from_one_minute_and_is_capped_at_four_hours(failed_attempts, delay):
    assert POLICY.delay(failed_attempts) == delay


def test_backoff_can_start_from_another_first_wait():
    fast = RetryPolicy(first=timedelta(seconds=2))
    assert fast.delay(1) == timedelta(seconds=2)
    assert fast.delay(4) == timedelta(seconds=16)
    assert fast.delay(100) == timedelta(hours=4)


def test_next_attempt_waits_the_backoff_from_the_last_failure():
    assert POLICY.next_attempt(NOW, 3) == NOW + timedelta(minutes=4)


def test_next_attempt_waits_for_retry_after_when_it_is_later():
    retry_after = NOW + timedelta(hours=1)
    assert POLICY.next_attempt(NOW, 1, retry_after) == retry_after


def test_next_attempt_waits_for_the_backoff_when_it_is_later_than_retry_after():
    assert POLICY.next_attempt(NOW, 3, NOW + timedelta(seconds=30)) == NOW + timedelta(minutes=4)


def test_next_attempt_is_rounded_up_to_a_whole_second_so_a_stored_time_is_never_early():
    retry_after = NOW + timedelta(minutes=1, microseconds=1)
    assert POLICY.next_attempt(NOW, 1, retry_after) == NOW + timedelta(seconds=61)
    assert POLICY.next_attempt(NOW + timedelta(milliseconds=500), 1) == NOW + timedelta(seconds=61)


def test_next_attempt_honours_retry_after_for_at_most_a_day():
    assert POLICY.next_attempt(NOW, 1, NOW + timedelta(days=3650)) == NOW + timedelta(hours=24)
