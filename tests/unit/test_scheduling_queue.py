"""The due-time work queue: client-go's work-queue semantics on an injected clock (scheduling/queue.py)."""

from __future__ import annotations

import datetime

from evercert.scheduling import WorkQueue
from tests.support.clock import ManualClock

Key = tuple[str, str]
A: Key = ("default", "a")
B: Key = ("default", "b")
C: Key = ("default", "c")


def make() -> tuple[WorkQueue[Key], ManualClock]:
    clock = ManualClock()
    return WorkQueue(clock), clock


def later(clock: ManualClock, seconds: float) -> datetime.datetime:
    return clock.now() + datetime.timedelta(seconds=seconds)


def take_all(queue: WorkQueue[Key]) -> list[Key]:
    taken = []
    while (key := queue.take()) is not None:
        taken.append(key)
    return taken


def test_a_key_waits_in_the_queue_once_however_often_it_is_scheduled() -> None:
    queue, clock = make()
    for _ in range(3):
        queue.changed(A)
        queue.schedule(A, later(clock, 60))
    assert len(queue) == 1
    assert take_all(queue) == [A]
    clock.advance(120)
    assert queue.take() is None  # the later times were folded into the one entry, not kept beside it


def test_the_earliest_due_time_wins() -> None:
    queue, clock = make()
    queue.schedule(A, later(clock, 600))
    queue.schedule(A, later(clock, 60))
    queue.schedule(A, later(clock, 300))
    assert queue.due_of(A) == later(clock, 60)
    assert queue.next_due() == later(clock, 60)


def test_a_key_is_not_handed_out_before_its_time() -> None:
    queue, clock = make()
    queue.schedule(A, later(clock, 60))
    assert queue.take() is None
    clock.advance(59)
    assert queue.take() is None
    clock.advance(1)
    assert queue.take() == A


def test_due_keys_come_out_in_due_order_and_first_scheduled_first_on_ties() -> None:
    queue, clock = make()
    queue.schedule(C, later(clock, 30))
    queue.schedule(A, later(clock, 10))
    queue.schedule(B, later(clock, 10))
    queue.schedule(("default", "d"), later(clock, 20))
    clock.advance(60)
    assert take_all(queue) == [A, B, ("default", "d"), C]


def test_moving_a_key_earlier_moves_it_in_the_order() -> None:
    queue, clock = make()
    queue.schedule(A, later(clock, 10))
    queue.schedule(B, later(clock, 20))
    queue.schedule(B, later(clock, 5))
    clock.advance(60)
    assert take_all(queue) == [B, A]


def test_a_key_being_worked_on_is_not_handed_out_again() -> None:
    queue, _ = make()
    queue.changed(A)
    assert queue.take() == A
    queue.changed(A)
    queue.changed(A)
    assert queue.take() is None
    assert queue.is_working(A)
    assert len(queue) == 0
    assert queue.in_flight == 1


def test_a_change_during_work_queues_the_key_once_when_the_work_is_done() -> None:
    queue, clock = make()
    queue.changed(A)
    assert queue.take() == A
    queue.changed(A)
    clock.advance(1)
    queue.changed(A)
    queue.done(A, None)  # the work asked for nothing more, but the changes came after it began
    assert take_all(queue) == [A]
    queue.done(A, None)
    assert take_all(queue) == []
    assert queue.in_flight == 0


def test_without_a_change_during_work_the_key_returns_at_the_time_the_work_asked_for() -> None:
    queue, clock = make()
    queue.changed(A)
    assert queue.take() == A
    queue.done(A, later(clock, 3600))
    assert queue.take() is None
    assert queue.due_of(A) == later(clock, 3600)


def test_work_that_asks_for_nothing_more_drops_the_key_until_it_changes() -> None:
    queue, _ = make()
    queue.changed(A)
    assert queue.take() == A
    queue.done(A, None)
    assert len(queue) == 0
    assert queue.next_due() is None


def test_the_earlier_of_the_change_and_the_asked_for_time_wins() -> None:
    queue, clock = make()
    queue.changed(A)
    assert queue.take() == A
    change_time = clock.now()
    queue.changed(A)
    clock.advance(5)
    queue.done(A, later(clock, 3600))
    assert queue.due_of(A) == change_time
    # And the other way round: the work's own time wins when it is earlier than a schedule meanwhile.
    assert queue.take() == A
    queue.schedule(A, later(clock, 600))
    queue.done(A, later(clock, 60))
    assert queue.due_of(A) == later(clock, 60)


def test_a_change_during_work_keeps_its_place_among_keys_due_later() -> None:
    queue, clock = make()
    queue.changed(A)
    assert queue.take() == A
    queue.changed(A)
    clock.advance(1)
    queue.changed(B)
    queue.done(A, None)
    assert take_all(queue) == [A, B]


def test_forget_drops_a_waiting_key() -> None:
    queue, clock = make()
    queue.schedule(A, later(clock, 10))
    queue.schedule(B, later(clock, 20))
    queue.forget(A)
    assert A not in queue
    assert queue.next_due() == later(clock, 20)
    clock.advance(60)
    assert take_all(queue) == [B]


def test_forget_during_work_drops_the_key_when_the_work_is_done() -> None:
    queue, clock = make()
    queue.changed(A)
    assert queue.take() == A
    queue.changed(A)
    queue.forget(A)
    queue.done(A, later(clock, 60))
    clock.advance(120)
    assert take_all(queue) == []
    assert queue.in_flight == 0


def test_a_key_scheduled_again_after_forget_during_work_comes_back() -> None:
    # Deleted and created again under the same name while the old object's work still ran.
    queue, _ = make()
    queue.changed(A)
    assert queue.take() == A
    queue.forget(A)
    queue.changed(A)
    queue.done(A, None)
    assert take_all(queue) == [A]


def test_depth_and_in_flight_count_waiting_and_running_keys_apart() -> None:
    queue, clock = make()
    queue.changed(A)
    queue.changed(B)
    queue.schedule(C, later(clock, 60))
    assert (len(queue), queue.in_flight) == (3, 0)
    assert queue.take() == A
    assert (len(queue), queue.in_flight) == (2, 1)
    queue.done(A, None)
    assert (len(queue), queue.in_flight) == (2, 0)


def test_next_due_is_the_first_waiting_time_and_skips_keys_taken_or_forgotten() -> None:
    queue, clock = make()
    assert queue.next_due() is None
    queue.schedule(A, later(clock, 10))
    queue.schedule(B, later(clock, 20))
    queue.schedule(C, later(clock, 30))
    queue.forget(A)
    assert queue.next_due() == later(clock, 20)
    clock.advance(20)
    assert queue.take() == B
    assert queue.next_due() == later(clock, 10)


def test_keys_moved_around_many_times_keep_the_queue_small_and_in_order() -> None:
    queue, clock = make()
    keys = [("ns", str(i)) for i in range(50)]
    for round_ in range(200, 0, -1):
        for key in keys:
            queue.schedule(key, later(clock, round_ + keys.index(key) / 100))
    assert len(queue) == 50
    assert len(queue._heap) <= 4 * 50 + 64  # stale entries are compacted away, not kept
    clock.advance(3600)
    assert take_all(queue) == keys
