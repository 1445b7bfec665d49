"""Renewal policy in evercert.renewal: when to renew, and how long to wait after failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from evercert.renewal import (
    ari_renewal_time,
    backoff_delay,
    next_attempt_time,
    renewal_time,
    retry_after_delay,
)

NOT_BEFORE = datetime(2026, 1, 1, tzinfo=UTC)
NINETY_DAYS = NOT_BEFORE + timedelta(days=90)
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


# When to renew


def test_renews_at_two_thirds_of_lifetime_by_default():
    assert renewal_time(NOT_BEFORE, NINETY_DAYS) == NOT_BEFORE + timedelta(days=60)


def test_renews_at_half_of_lifetime_when_it_is_shorter_than_ten_days():
    short_lived = NOT_BEFORE + timedelta(hours=160)

    assert renewal_time(NOT_BEFORE, short_lived) == NOT_BEFORE + timedelta(hours=80)


def test_renew_before_renews_that_long_before_expiry():
    assert renewal_time(NOT_BEFORE, NINETY_DAYS, renew_before=timedelta(days=10)) == NINETY_DAYS - timedelta(
        days=10
    )


def test_renew_before_percentage_is_a_share_of_the_lifetime():
    assert renewal_time(NOT_BEFORE, NINETY_DAYS, renew_before_percentage=20) == NINETY_DAYS - timedelta(
        days=18
    )


def test_renew_before_wins_over_renew_before_percentage():
    renew_at = renewal_time(
        NOT_BEFORE, NINETY_DAYS, renew_before=timedelta(days=10), renew_before_percentage=50
    )

    assert renew_at == NINETY_DAYS - timedelta(days=10)


@pytest.mark.parametrize(
    "settings",
    [
        {"renew_before": timedelta(days=90)},
        {"renew_before": timedelta(days=365)},
        {"renew_before_percentage": 100},
    ],
)
def test_renew_before_not_shorter_than_the_lifetime_falls_back_to_two_thirds(settings):
    assert renewal_time(NOT_BEFORE, NINETY_DAYS, **settings) == NOT_BEFORE + timedelta(days=60)


def test_no_jitter_without_a_seed():
    assert renewal_time(NOT_BEFORE, NINETY_DAYS, jitter_seed="") == NOT_BEFORE + timedelta(days=60)


def test_jitter_is_stable_per_seed_and_moves_renewal_earlier_by_at_most_one_percent_of_lifetime():
    unjittered = NOT_BEFORE + timedelta(hours=80)
    short_lived = NOT_BEFORE + timedelta(hours=160)

    renew_at = renewal_time(NOT_BEFORE, short_lived, jitter_seed="default/web")

    assert renew_at == renewal_time(NOT_BEFORE, short_lived, jitter_seed="default/web")
    assert unjittered - timedelta(hours=1.6) <= renew_at < unjittered


def test_jitter_is_capped_at_one_hour():
    unjittered = NOT_BEFORE + timedelta(days=60)

    renewals = {renewal_time(NOT_BEFORE, NINETY_DAYS, jitter_seed=f"ns/cert-{i}") for i in range(50)}

    assert all(unjittered - timedelta(hours=1) <= renew_at < unjittered for renew_at in renewals)


def test_different_seeds_spread_renewals_apart():
    renewals = {renewal_time(NOT_BEFORE, NINETY_DAYS, jitter_seed=f"ns/cert-{i}") for i in range(50)}

    assert len(renewals) == 50


def test_renewal_never_precedes_not_before():
    assert renewal_time(NOT_BEFORE, NOT_BEFORE, jitter_seed="ns/cert") == NOT_BEFORE


# ARI (RFC 9773)


def test_ari_renewal_time_is_a_stable_point_inside_the_suggested_window():
    start, end = NOW, NOW + timedelta(days=2)

    points = [ari_renewal_time(start, end, f"ns/cert-{i}") for i in range(50)]

    assert all(start <= point < end for point in points)
    assert len(set(points)) == 50
    assert ari_renewal_time(start, end, "ns/cert-0") == points[0]


def test_ari_renewal_time_is_the_window_start_without_a_seed():
    assert ari_renewal_time(NOW, NOW + timedelta(days=2), "") == NOW


@pytest.mark.parametrize("end", [NOW, NOW - timedelta(hours=1)])
def test_ari_renewal_time_is_the_window_start_for_an_empty_or_inverted_window(end):
    assert ari_renewal_time(NOW, end, "ns/cert") == NOW


# Backoff after failures


def test_no_backoff_before_any_failure():
    assert backoff_delay(0) == timedelta(0)
    assert backoff_delay(-1) == timedelta(0)


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
    assert backoff_delay(failed_attempts) == delay


def test_backoff_can_start_from_another_first_wait():
    assert backoff_delay(1, timedelta(seconds=2)) == timedelta(seconds=2)
    assert backoff_delay(4, timedelta(seconds=2)) == timedelta(seconds=16)
    assert backoff_delay(100, timedelta(seconds=2)) == timedelta(hours=4)


# Retry-After


@pytest.mark.parametrize(("header", "delay"), [("120", timedelta(seconds=120)), (" 0 ", timedelta(0))])
def test_retry_after_in_seconds(header, delay):
    assert retry_after_delay(header, NOW) == delay


def test_retry_after_as_an_http_date():
    assert retry_after_delay("Sun, 01 Mar 2026 12:30:00 GMT", NOW) == timedelta(minutes=30)


def test_retry_after_in_the_past_means_no_wait():
    assert retry_after_delay("Sun, 01 Mar 2026 11:00:00 GMT", NOW) == timedelta(0)


@pytest.mark.parametrize("header", ["999999999999999999999", "Fri, 01 Jan 2100 00:00:00 GMT"])
def test_retry_after_is_capped_at_one_day(header):
    assert retry_after_delay(header, NOW) == timedelta(hours=24)


@pytest.mark.parametrize("header", [None, "", "soon", "-5", "1.5", "\u00b2"])
def test_retry_after_absent_or_unreadable_is_none(header):
    assert retry_after_delay(header, NOW) is None


# Next attempt


def test_no_next_attempt_time_without_failure_or_retry_after():
    assert next_attempt_time(None, 0) is None


def test_next_attempt_waits_the_backoff_from_the_last_failure():
    assert next_attempt_time(NOW, 3) == NOW + timedelta(minutes=4)


def test_next_attempt_waits_for_retry_after_when_it_is_later():
    retry_after_until = NOW + timedelta(hours=1)

    assert next_attempt_time(NOW, 1, retry_after_until) == retry_after_until


def test_next_attempt_waits_for_the_backoff_when_it_is_later_than_retry_after():
    assert next_attempt_time(NOW, 3, NOW + timedelta(seconds=30)) == NOW + timedelta(minutes=4)


def test_next_attempt_honours_retry_after_alone():
    assert next_attempt_time(None, 0, NOW + timedelta(seconds=30)) == NOW + timedelta(seconds=30)


def test_next_attempt_is_rounded_up_to_a_whole_second_so_a_stored_time_is_never_early():
    retry_after_until = NOW + timedelta(seconds=30, microseconds=1)

    assert next_attempt_time(None, 0, retry_after_until) == NOW + timedelta(seconds=31)
    assert next_attempt_time(NOW + timedelta(milliseconds=500), 1) == NOW + timedelta(seconds=61)


def test_next_attempt_honours_retry_after_for_at_most_a_day():
    assert next_attempt_time(NOW, 1, NOW + timedelta(days=3650)) == NOW + timedelta(hours=24)
