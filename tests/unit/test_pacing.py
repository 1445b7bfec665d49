"""Per-account order pacing (issuers/pacing.py), with exact times on a manual clock."""

from __future__ import annotations

import datetime

from evercert.api.issuer import OrderRateLimit, parse_issuer
from evercert.issuers.pacing import (
    ABSENT_AFTER,
    LETS_ENCRYPT_ORDER_LIMIT,
    OrderPacer,
    Token,
    order_rate_limit,
    priority,
)

from ..support.clock import ManualClock
from .test_api_issuer import issuer

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
MINUTE = datetime.timedelta(minutes=1)
THREE = OrderRateLimit(3, datetime.timedelta(minutes=10))
ACCOUNT = "https://ca.example/acct/1"
NEW = priority(None, T0)


def pacer() -> tuple[OrderPacer, ManualClock]:
    clock = ManualClock(T0)
    return OrderPacer(clock), clock


def test_lets_encrypt_gets_300_per_3h_other_cas_no_limit_and_the_spec_overrides() -> None:
    assert order_rate_limit(parse_issuer(issuer(), "Issuer")) == LETS_ENCRYPT_ORDER_LIMIT
    staging = "https://acme-staging-v02.api.letsencrypt.org/directory"
    assert order_rate_limit(parse_issuer(issuer(server=staging), "Issuer")) == LETS_ENCRYPT_ORDER_LIMIT
    assert order_rate_limit(parse_issuer(issuer(server="https://ca.example/dir"), "Issuer")) is None
    own = issuer(orderRateLimit={"orders": 30, "per": "20s"})
    assert order_rate_limit(parse_issuer(own, "Issuer")) == OrderRateLimit(30, datetime.timedelta(seconds=20))


def test_tokens_run_out_and_each_comes_back_one_period_after_its_order() -> None:
    pace, clock = pacer()
    for n in range(3):
        assert isinstance(pace.take(ACCOUNT, THREE, f"c{n}", NEW), Token)
        clock.advance(MINUTE)
    # orders at 0, 1 and 2 minutes: the next token is free at 10 minutes
    assert pace.take(ACCOUNT, THREE, "c3", NEW) == T0 + 10 * MINUTE
    clock.advance(7 * MINUTE)  # 10 minutes
    assert isinstance(pace.take(ACCOUNT, THREE, "c3", NEW), Token)
    assert pace.take(ACCOUNT, THREE, "c4", NEW) == T0 + 11 * MINUTE


def test_waiters_are_told_the_time_of_their_own_token_round_after_round() -> None:
    pace, _ = pacer()
    for n in range(3):
        pace.take(ACCOUNT, THREE, f"c{n}", NEW)
    expected = [pace.wait_until(ACCOUNT, THREE, f"w{n}", NEW) for n in range(7)]
    ten = 10 * MINUTE
    assert expected == [T0 + ten] * 3 + [T0 + 2 * ten] * 3 + [T0 + 3 * ten]
    assert pace.waiting(ACCOUNT) == 7


def test_first_come_first_served_a_later_arrival_does_not_overtake() -> None:
    pace, clock = pacer()
    for n in range(3):
        pace.take(ACCOUNT, THREE, f"c{n}", NEW)
    assert pace.take(ACCOUNT, THREE, "early", NEW) == T0 + 10 * MINUTE
    clock.advance(10 * MINUTE)
    # three tokens are back; "late" asks first but is behind "early", who still gets one
    late = pace.take(ACCOUNT, THREE, "late", priority(None, T0 + MINUTE))
    assert isinstance(late, Token)
    assert isinstance(pace.take(ACCOUNT, THREE, "early", NEW), Token)


def test_renewals_go_first_the_one_nearest_expiry_ahead() -> None:
    pace, clock = pacer()
    for n in range(3):  # orders at 0, 1 and 2 minutes
        pace.take(ACCOUNT, THREE, f"c{n}", NEW)
        clock.advance(MINUTE)
    soon = priority(T0 + datetime.timedelta(days=2), T0)
    later = priority(T0 + datetime.timedelta(days=9), T0)
    asked = [("new", NEW), ("renew-later", later), ("renew-soon", soon)]
    for name, place in asked:
        pace.wait_until(ACCOUNT, THREE, name, place)
    again = {name: pace.wait_until(ACCOUNT, THREE, name, place) for name, place in asked}
    assert again == {"renew-soon": T0 + 10 * MINUTE, "renew-later": T0 + 11 * MINUTE, "new": T0 + 12 * MINUTE}


def test_a_token_is_given_back_when_the_ca_made_no_order() -> None:
    pace, _ = pacer()
    tokens = [pace.take(ACCOUNT, THREE, f"c{n}", NEW) for n in range(3)]
    assert isinstance(tokens[0], Token)
    pace.settle(tokens[0], order_made=False)
    assert isinstance(pace.take(ACCOUNT, THREE, "again", NEW), Token)
    assert pace.take(ACCOUNT, THREE, "more", NEW) == T0 + 10 * MINUTE


def test_a_token_counts_from_when_the_order_was_made() -> None:
    pace, clock = pacer()
    tokens = [pace.take(ACCOUNT, THREE, f"c{n}", NEW) for n in range(3)]
    clock.advance(datetime.timedelta(seconds=30))  # the CA answered 30 s later
    for token in tokens:
        assert isinstance(token, Token)
        pace.settle(token, order_made=True)
    assert pace.take(ACCOUNT, THREE, "next", NEW) == T0 + 10 * MINUTE + datetime.timedelta(seconds=30)


def test_retry_after_pauses_every_new_order_of_the_account() -> None:
    pace, clock = pacer()
    pace.pause(ACCOUNT, T0 + 30 * MINUTE)
    assert pace.take(ACCOUNT, THREE, "a", NEW) == T0 + 30 * MINUTE
    assert pace.wait_until(ACCOUNT, None, "unlimited-too", NEW) == T0 + 30 * MINUTE
    assert pace.wait_until("https://ca.example/acct/2", THREE, "other-account", NEW) is None
    clock.advance(30 * MINUTE)
    assert isinstance(pace.take(ACCOUNT, THREE, "a", NEW), Token)


def test_an_unlimited_account_never_waits() -> None:
    pace, _ = pacer()
    assert all(isinstance(pace.take(ACCOUNT, None, f"c{n}", NEW), Token) for n in range(1000))
    assert pace.waiting(ACCOUNT) == 0


def test_a_waiter_that_does_not_come_back_stops_holding_its_place() -> None:
    pace, clock = pacer()
    for minute in (0, 6, 7):
        clock.current = T0 + minute * MINUTE
        pace.take(ACCOUNT, THREE, f"c{minute}", NEW)
    assert pace.wait_until(ACCOUNT, THREE, "gone", NEW) == T0 + 10 * MINUTE
    assert pace.wait_until(ACCOUNT, THREE, "stays", NEW) == T0 + 16 * MINUTE
    clock.current = T0 + 10 * MINUTE + ABSENT_AFTER
    # one token is back; "gone" may still come for it
    assert pace.take(ACCOUNT, THREE, "stays", NEW) == T0 + 16 * MINUTE
    clock.advance(datetime.timedelta(seconds=1))
    # "gone" never came back: "stays" is first and takes the token
    assert isinstance(pace.take(ACCOUNT, THREE, "stays", NEW), Token)
    assert pace.waiting(ACCOUNT) == 0


def test_leaving_frees_the_place() -> None:
    pace, _ = pacer()
    for n in range(3):
        pace.take(ACCOUNT, THREE, f"c{n}", NEW)
    pace.wait_until(ACCOUNT, THREE, "resumed", NEW)
    pace.leave(ACCOUNT, "resumed")
    assert pace.wait_until(ACCOUNT, THREE, "next", NEW) == T0 + 10 * MINUTE
    assert pace.waiting(ACCOUNT) == 1


def test_asking_again_keeps_the_place_in_the_queue() -> None:
    pace, clock = pacer()
    for n in range(3):
        pace.take(ACCOUNT, THREE, f"c{n}", NEW)
    first = pace.wait_until(ACCOUNT, THREE, "first", priority(None, T0))
    pace.wait_until(ACCOUNT, THREE, "second", priority(None, T0))
    clock.advance(MINUTE)
    # a later "since" (e.g. none known, so now) does not send "first" behind "second"
    assert pace.wait_until(ACCOUNT, THREE, "first", priority(None, clock.now())) == first
    # a renewal's place is taken ahead at once
    assert pace.wait_until(ACCOUNT, THREE, "second", priority(T0, T0)) == first
