"""Lease policy: when a Lease may be taken, and a holder that cannot renew stops before anyone may take it."""

from __future__ import annotations

import datetime

import pytest

from evercert.leadership import policy
from evercert.leadership.policy import LeaseSpec, Timing
from tests.support.clock import ManualClock

ME, OTHER = "evercert-a-1a2b3c", "evercert-b-4d5e6f"


def held_by(holder: str, at: datetime.datetime, duration: int = 15) -> LeaseSpec:
    return LeaseSpec(holder=holder, duration_seconds=duration, acquire_time=at, renew_time=at, transitions=3)


def test_the_default_timings_are_client_gos() -> None:
    timing = Timing()
    assert (timing.lease_duration, timing.renew_deadline, timing.retry_period) == (15.0, 10.0, 2.0)
    assert timing.duration_seconds == 15


@pytest.mark.parametrize(
    ("lease", "deadline", "retry"), [(15, 15, 2), (15, 10, 10), (15, 20, 2), (15, 10, 0)]
)
def test_a_renew_deadline_must_be_shorter_than_the_lease_and_longer_than_the_retry(
    lease: float, deadline: float, retry: float
) -> None:
    with pytest.raises(ValueError, match="renew deadline"):
        Timing(lease, deadline, retry)


def test_a_fractional_lease_duration_is_written_rounded_up() -> None:
    assert Timing(2.5, 2, 1).duration_seconds == 3


def test_a_missing_or_released_lease_may_be_taken_at_once() -> None:
    clock = ManualClock()
    now = clock.now()
    assert policy.may_take(None, ME, now, now)
    released = policy.released(held_by(OTHER, now), now)
    assert released.holder == "" and released.duration_seconds == 1
    assert policy.may_take(released, ME, now, now)


def test_a_live_lease_of_another_may_be_taken_a_full_duration_after_it_was_first_seen() -> None:
    clock = ManualClock()
    seen_at = clock.now()
    lease = held_by(OTHER, seen_at - datetime.timedelta(seconds=5))
    clock.advance(14.999)
    assert not policy.may_take(lease, ME, seen_at, clock.now())
    clock.advance(0.001)
    assert policy.may_take(lease, ME, seen_at, clock.now())


def test_expiry_counts_from_our_own_sighting_not_from_the_holders_renew_time() -> None:
    clock = ManualClock()
    # The holder's clock is an hour behind ours: by its renewTime the Lease looks long expired.
    lease = held_by(OTHER, clock.now() - datetime.timedelta(hours=1))
    assert not policy.may_take(lease, ME, clock.now(), clock.now())


def test_our_own_lease_may_always_be_renewed() -> None:
    clock = ManualClock()
    lease = held_by(ME, clock.now())
    assert policy.may_take(lease, ME, clock.now(), clock.now())


def test_taking_a_lease_counts_a_transition_and_renewing_keeps_it() -> None:
    clock = ManualClock()
    before = held_by(OTHER, clock.now())
    clock.advance(20)
    taken = policy.acquired(before, ME, clock.now(), Timing())
    assert (taken.holder, taken.transitions, taken.acquire_time) == (ME, 4, clock.now())
    assert policy.acquired(None, ME, clock.now(), Timing()).transitions == 0
    acquired_at = clock.now()
    clock.advance(2)
    again = policy.acquired(taken, ME, clock.now(), Timing())
    assert (again.transitions, again.acquire_time, again.renew_time) == (4, acquired_at, clock.now())


@pytest.mark.parametrize("seen_after", [0.0, 0.3, 1.9, 2.0, 7.5])
def test_a_holder_that_cannot_renew_stops_before_anyone_may_take_its_lease(seen_after: float) -> None:
    """The holder renews at t (its clock before sending); another member sees it `seen_after` s later."""
    timing = Timing()
    clock = ManualClock()
    renewed_at = clock.now()
    spec = policy.renewed(held_by(ME, renewed_at), renewed_at, timing)
    seen_at = renewed_at + datetime.timedelta(seconds=seen_after)
    holder_stopped_at = taken_at = None
    for _ in range(300):  # 30 s in steps of 0.1 s: neither renews meanwhile
        clock.advance(0.1)
        now = clock.now()
        holds = policy.still_holds(renewed_at, now, timing)
        may_take = now >= seen_at and policy.may_take(spec, OTHER, seen_at, now)
        assert not (holds and may_take), f"both at {now}"
        if not holds and holder_stopped_at is None:
            holder_stopped_at = now
        if may_take and taken_at is None:
            taken_at = now
    assert holder_stopped_at is not None and taken_at is not None
    margin = timing.lease_duration - timing.renew_deadline
    assert (taken_at - holder_stopped_at).total_seconds() >= margin - 0.1


def test_micro_time_has_six_fraction_digits_in_utc() -> None:
    moment = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    assert policy.micro_time(moment) == "2026-01-01T10:00:00.000000Z"


def test_a_lease_written_reads_back_the_same() -> None:
    clock = ManualClock()
    clock.advance(0.25)
    spec = policy.acquired(held_by(OTHER, clock.now()), ME, clock.now(), Timing())
    body = policy.lease_body("evercert-shard-0-of-1", spec, {"a": "b"}, resource_version="42")
    read = policy.parse_lease(body)
    assert read == policy.Lease("evercert-shard-0-of-1", "42", spec, {"a": "b"})
    assert "resourceVersion" not in policy.lease_body("x", spec, {})["metadata"]


def test_a_member_lease_unrenewed_for_two_durations_by_its_own_clock_is_stale() -> None:
    renewed = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    spec = LeaseSpec("gone-1", 15, renewed, renewed)
    assert not policy.stale(spec, renewed + datetime.timedelta(seconds=30))
    assert policy.stale(spec, renewed + datetime.timedelta(seconds=31))
    assert not policy.stale(LeaseSpec("new-1", 15), renewed)  # never renewed: not judged stale


@pytest.mark.parametrize("timing", [Timing(), Timing(4, 4 * 2 / 3, 4 * 2 / 15), Timing(60, 40, 8)])
def test_a_write_finished_within_the_grace_after_the_renew_deadline_lands_before_anyone_may_take_over(
    timing: Timing,
) -> None:
    clock = ManualClock()
    renewed_at = clock.now()
    spec = policy.renewed(held_by(ME, renewed_at, timing.duration_seconds), renewed_at, timing)
    stopped_at = policy.holding_until(renewed_at, timing)
    written_by = stopped_at + datetime.timedelta(seconds=policy.hand_over_grace(timing))
    # Even a member that saw the renewal at the very instant it was sent may not take the Lease yet.
    assert not policy.may_take(spec, OTHER, renewed_at, written_by)
    assert policy.hand_over_grace(timing) > 0
