"""The per-name record of failed validations (evercert.issuers.failed_validations): at most 4 an hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from evercert.issuers.failed_validations import FailedValidations

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ACCOUNT = "https://ca/acct/1"


def failed_at(record: FailedValidations, *minutes: int, name: str = "a.example") -> None:
    for minute in minutes:
        record.record(ACCOUNT, [name], NOW + timedelta(minutes=minute))


def test_three_failures_in_an_hour_do_not_hold_an_attempt():
    record = FailedValidations()
    failed_at(record, 0, 10, 20)
    assert record.held_until(ACCOUNT, ["a.example"], NOW + timedelta(minutes=21)) is None


def test_a_fourth_failure_holds_the_name_until_the_oldest_leaves_the_hour():
    record = FailedValidations()
    failed_at(record, 0, 10, 20, 30)
    assert record.held_until(ACCOUNT, ["a.example"], NOW + timedelta(minutes=31)) == NOW + timedelta(hours=1)
    assert record.held_until(ACCOUNT, ["a.example"], NOW + timedelta(hours=1)) is None


def test_with_more_failures_the_hold_lasts_until_the_count_drops_below_four():
    record = FailedValidations()
    failed_at(record, 0, 5, 10, 15, 20)
    held = record.held_until(ACCOUNT, ["a.example"], NOW + timedelta(minutes=21))
    assert held == NOW + timedelta(minutes=65)


def test_names_are_counted_each_and_case_blind():
    record = FailedValidations()
    failed_at(record, 0, 1, 2, 3, name="A.Example")
    assert record.held_until(ACCOUNT, ["b.example", "a.example"], NOW + timedelta(minutes=4)) is not None
    assert record.held_until(ACCOUNT, ["b.example"], NOW + timedelta(minutes=4)) is None


def test_accounts_are_counted_apart():
    record = FailedValidations()
    failed_at(record, 0, 1, 2, 3)
    assert record.held_until("https://other/acct/2", ["a.example"], NOW + timedelta(minutes=4)) is None


def test_records_older_than_the_hour_are_forgotten():
    record = FailedValidations()
    failed_at(record, 0, 1)
    failed_at(record, 0, name="b.example")
    assert len(record) == 2
    record.held_until(ACCOUNT, ["a.example", "b.example"], NOW + timedelta(hours=2))
    assert len(record) == 0
