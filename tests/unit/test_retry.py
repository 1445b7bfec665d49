"""The one retry policy (evercert.core.retry): Let's Encrypt's schedule, room before expiry, Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from evercert.core.retry import RetryPolicy

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
POLICY = RetryPolicy()


def test_no_backoff_before_any_failure():
    assert POLICY.delay(0) == timedelta(0)
    assert POLICY.delay(-1) == timedelta(0)


@pytest.mark.parametrize(
    ("failed_attempts", "delay"),
    [
        (1, timedelta(minutes=1)),
        (2, timedelta(minutes=10)),
        (3, timedelta(minutes=100)),
        (4, timedelta(days=1)),
        (5, timedelta(days=1)),
        (10_000, timedelta(days=1)),
    ],
)
def test_waits_1_10_100_minutes_then_a_day_as_lets_encrypt_asks(failed_attempts, delay):
    assert POLICY.delay(failed_attempts) == delay


def test_the_whole_schedule_scales_with_the_first_wait():
    fast = RetryPolicy(first=timedelta(seconds=2))
    assert [fast.delay(n) for n in range(1, 6)] == [
        timedelta(seconds=2),
        timedelta(seconds=20),
        timedelta(seconds=200),
        timedelta(seconds=2880),
        timedelta(seconds=2880),
    ]


def test_attempt_times_of_a_name_that_keeps_failing():
    """Failures at once on each attempt: the attempts of the first two days."""
    at, times = NOW, []
    for failures in range(1, 6):
        at = POLICY.next_attempt(at, failures)
        times.append(at - NOW)
    assert times == [
        timedelta(minutes=1),
        timedelta(minutes=11),
        timedelta(minutes=111),
        timedelta(days=1, minutes=111),
        timedelta(days=2, minutes=111),
    ]


def test_next_attempt_waits_the_schedule_from_the_last_failure():
    assert POLICY.next_attempt(NOW, 3) == NOW + timedelta(minutes=100)


def test_a_certificate_close_to_expiry_keeps_room_for_three_attempts():
    """A short-lived certificate with 6 h left: the daily wait becomes 2 h (a third of what is left)."""
    assert POLICY.next_attempt(NOW, 4, not_after=NOW + timedelta(hours=6)) == NOW + timedelta(hours=2)
    assert POLICY.next_attempt(NOW, 3, not_after=NOW + timedelta(hours=3)) == NOW + timedelta(hours=1)


def test_room_before_expiry_does_not_lengthen_the_schedule():
    assert POLICY.next_attempt(NOW, 2, not_after=NOW + timedelta(days=30)) == NOW + timedelta(minutes=10)


def test_room_before_expiry_never_shortens_below_the_first_wait():
    assert POLICY.next_attempt(NOW, 4, not_after=NOW + timedelta(seconds=30)) == NOW + timedelta(minutes=1)


def test_an_expired_certificate_follows_the_plain_schedule():
    assert POLICY.next_attempt(NOW, 4, not_after=NOW - timedelta(hours=1)) == NOW + timedelta(days=1)


def test_next_attempt_waits_for_retry_after_when_it_is_later():
    retry_after = NOW + timedelta(hours=1)
    assert POLICY.next_attempt(NOW, 1, retry_after) == retry_after


def test_retry_after_wins_over_the_room_before_expiry():
    retry_after = NOW + timedelta(hours=5)
    assert POLICY.next_attempt(NOW, 4, retry_after, not_after=NOW + timedelta(hours=6)) == retry_after


def test_next_attempt_waits_for_the_backoff_when_it_is_later_than_retry_after():
    assert POLICY.next_attempt(NOW, 2, NOW + timedelta(seconds=30)) == NOW + timedelta(minutes=10)


def test_next_attempt_is_rounded_up_to_a_whole_second_so_a_stored_time_is_never_early():
    retry_after = NOW + timedelta(minutes=1, microseconds=1)
    assert POLICY.next_attempt(NOW, 1, retry_after) == NOW + timedelta(seconds=61)
    assert POLICY.next_attempt(NOW + timedelta(milliseconds=500), 1) == NOW + timedelta(seconds=61)


def test_next_attempt_honours_retry_after_for_at_most_a_day():
    assert POLICY.next_attempt(NOW, 1, NOW + timedelta(days=3650)) == NOW + timedelta(hours=24)
