"""Renewal policy in evercert.certificates.renewal: when to renew."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from evercert.certificates.renewal import ari_renewal_time, renewal_time

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
