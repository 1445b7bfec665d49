"""The fleet simulation (bench/fleet) at a small size: evercert's own scheduling, pacing and retry
policy against a model of Let's Encrypt's limits, on a simulated clock."""

from __future__ import annotations

import datetime

import pytest
from bench.fleet import Figures, Fleet, FleetSimulation
from bench.fleet.ca import CERTS_PER_DOMAIN, CERTS_PER_NAME_SET, FAILED_PER_HOSTNAME, ORDERS_PER_ACCOUNT

# 1,000 Certificates at once, one renewal round; the 6-hour outage falls in that round.
SMALL = Fleet(certificates=1000, days=40, outage_start=datetime.timedelta(days=30, hours=1))


@pytest.fixture(scope="module")
def figures() -> Figures:
    return FleetSimulation(SMALL).run()


def test_new_orders_never_exceed_the_account_limit_and_use_all_of_it(figures: Figures) -> None:
    assert figures.orders_per_3h_max == ORDERS_PER_ACCOUNT.count
    for limit in (ORDERS_PER_ACCOUNT, CERTS_PER_DOMAIN, CERTS_PER_NAME_SET):
        assert figures.refused.get(limit.name, 0) == 0, figures.refused


def test_first_certificates_come_at_the_pace_of_the_quota(figures: Figures) -> None:
    # 1,000 orders at 300 per 3 h: the last hundred go out when the fourth round of tokens is back
    assert figures.first_certificates_validating_hours is not None
    assert 9.0 <= figures.first_certificates_validating_hours < 10.0
    assert figures.waits_for_quota >= 700


def test_every_certificate_is_renewed_before_it_expires_despite_the_outage(figures: Figures) -> None:
    assert figures.outage_answers > 0
    assert figures.renewals >= 0.98 * SMALL.certificates
    assert figures.renewals_after_expiry == 0


def test_without_a_known_limit_one_refusal_pauses_the_whole_account() -> None:
    # The model CA refuses the 301st order; its Retry-After holds back all 700 others, not just one.
    unknown = Fleet(certificates=1000, days=2, outage=datetime.timedelta(0), order_limit=None)
    refused = FleetSimulation(unknown).run().refused
    assert 1 <= refused.get(ORDERS_PER_ACCOUNT.name, 0) <= 4, refused


def test_no_request_is_refused_and_a_name_fails_at_most_4_times_an_hour(figures: Figures) -> None:
    assert figures.failed_validations_per_hostname_hour_max <= FAILED_PER_HOSTNAME.count - 1
    assert figures.refused_total == 0, figures.refused


def test_names_that_keep_failing_are_held_back_as_the_operator_holds_them() -> None:
    # Every name fails; a retry schedule of seconds alone would fail each name ~8 times an hour.
    failing = Fleet(
        certificates=20,
        days=1,
        failing_percent=100.0,
        outage=datetime.timedelta(0),
        first_backoff=datetime.timedelta(seconds=1),
    )
    figures = FleetSimulation(failing).run()
    assert figures.holds > 0
    assert figures.failed_validations_per_hostname_hour_max == FAILED_PER_HOSTNAME.count - 1
