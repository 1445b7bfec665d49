"""CA fallback (certificates.fallback and the failed transition): which issuer the next attempt goes to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from evercert.api.certificate import IssuerRef, parse_certificate
from evercert.certificates import transitions
from evercert.certificates.fallback import FallbackPolicy, after_failure, issuer_for_attempt
from evercert.certificates.look import Look
from evercert.certificates.status import AttemptIssuer, cleared_attempt_fields, parse_status
from evercert.certificates.tls_secret import SecretContents
from evercert.core import reasons
from evercert.core.errors import AcmeFailure
from evercert.core.retry import RetryPolicy
from evercert.pki import CertificateInfo

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PRIMARY = IssuerRef("le", "ClusterIssuer")
SECOND = IssuerRef("zerossl", "ClusterIssuer")
THIRD = IssuerRef("local", "Issuer")
SPEC = parse_certificate(
    {
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "secretName": "web-tls",
            "dnsNames": ["www.example.org"],
            "issuerRef": {"name": "le", "kind": "ClusterIssuer"},
            "fallbackIssuerRefs": [{"name": "zerossl", "kind": "ClusterIssuer"}, {"name": "local"}],
        },
    }
)
INFO = CertificateInfo(
    "0a1b", NOW - timedelta(days=60), NOW + timedelta(days=30), ("www.example.org",), None, "CA"
)
SERVED = SecretContents(INFO, True, True, ("RSA", 2048), {})
NOTHING = Look(SPEC, None, reasons.DOES_NOT_EXIST)
RENEWING = Look(SPEC, SERVED, reasons.RENEWING, NOW)
NAMES_CHANGED = Look(SPEC, SERVED, reasons.SECRET_MISMATCH, NOW + timedelta(days=10))
POLICY = RetryPolicy()


def failures(count: int, look: Look = NOTHING, start: AttemptIssuer | None = None) -> list[AttemptIssuer]:
    """The record after each of `count` attempts that fail one minute apart, each going where it says."""
    record, seen = start, []
    for minute in range(count):
        used = issuer_for_attempt(SPEC, record, look)
        record = after_failure(
            SPEC, record, used, look.reason != reasons.SECRET_MISMATCH, NOW + timedelta(minutes=minute)
        )
        seen.append(record)
    return seen


def test_the_first_attempt_goes_to_the_primary():
    assert issuer_for_attempt(SPEC, None, NOTHING) == PRIMARY


def test_after_three_failed_attempts_the_next_goes_to_the_first_fallback():
    records = failures(4)
    assert [(r.ref, r.failed_attempts) for r in records] == [
        (PRIMARY, 1),
        (PRIMARY, 2),
        (SECOND, 0),  # the third failure on the primary: the next attempt goes to the fallback
        (SECOND, 1),
    ]
    assert records[2].since == NOW + timedelta(minutes=2)


def test_the_fallbacks_are_taken_in_turn_then_the_primary_again():
    refs = [issuer_for_attempt(SPEC, r, NOTHING) for r in failures(9)]
    assert refs == [PRIMARY, PRIMARY, SECOND, SECOND, SECOND, THIRD, THIRD, THIRD, PRIMARY]


def test_a_primary_failing_for_24_hours_falls_back_before_three_attempts():
    first = after_failure(SPEC, None, PRIMARY, True, NOW)
    assert first == AttemptIssuer(PRIMARY, 1, NOW)
    a_day_later = after_failure(SPEC, first, PRIMARY, True, NOW + timedelta(hours=24))
    assert a_day_later == AttemptIssuer(SECOND, 0, NOW + timedelta(hours=24))
    not_yet = after_failure(SPEC, first, PRIMARY, True, NOW + timedelta(hours=23))
    assert not_yet == AttemptIssuer(PRIMARY, 2, NOW)


def test_count_and_time_can_be_set():
    policy = FallbackPolicy(after_attempts=1, after=timedelta(hours=1))
    assert after_failure(SPEC, None, PRIMARY, True, NOW, policy).ref == SECOND


def test_a_renewal_falls_back_like_a_first_issuance():
    assert issuer_for_attempt(SPEC, failures(3, RENEWING)[-1], RENEWING) == SECOND


def test_a_certificate_not_due_for_renewal_stays_with_the_primary():
    """A change of names while a good certificate is served: not worth another CA."""
    records = failures(5, NAMES_CHANGED)
    assert [r.ref for r in records] == [PRIMARY] * 5
    assert issuer_for_attempt(SPEC, AttemptIssuer(SECOND, 0, NOW), NAMES_CHANGED) == PRIMARY


def test_a_record_naming_an_issuer_no_longer_listed_goes_back_to_the_primary():
    gone = AttemptIssuer(IssuerRef("gone", "Issuer"), 2, NOW)
    assert issuer_for_attempt(SPEC, gone, NOTHING) == PRIMARY


def failed(status: dict[str, Any], used: IssuerRef, look: Look = NOTHING) -> transitions.Transition:
    error = AcmeFailure(reasons.ACME_SERVER_ERROR, "503 from the CA", transient=True)
    return transitions.failed(parse_status(status), error, NOW, 1, POLICY, look, used)


def test_the_failed_transition_records_the_issuer_and_keeps_the_schedule():
    t = failed(
        {"failedIssuanceAttempts": 1, "attemptIssuer": AttemptIssuer(PRIMARY, 1, NOW).to_status()}, PRIMARY
    )
    assert t.patch["attemptIssuer"] == {
        "name": "le",
        "kind": "ClusterIssuer",
        "failedAttempts": 2,
        "since": "2026-03-01T12:00:00Z",
    }
    assert t.wake == NOW + timedelta(minutes=10)


def test_the_attempt_that_goes_to_a_fallback_waits_only_the_first_step_and_says_where_it_goes():
    before = {"failedIssuanceAttempts": 2, "attemptIssuer": AttemptIssuer(PRIMARY, 2, NOW).to_status()}
    t = failed(before, PRIMARY)
    assert t.patch["attemptIssuer"]["name"] == "zerossl" and t.patch["attemptIssuer"]["failedAttempts"] == 0
    assert t.patch["failedIssuanceAttempts"] == 3
    assert t.wake == NOW + timedelta(minutes=1)
    assert t.event is not None and "the next attempt goes to ClusterIssuer 'zerossl'" in t.event.message


def test_a_certificate_without_fallbacks_writes_no_attempt_issuer():
    plain = parse_certificate(
        {
            "metadata": {"name": "a", "namespace": "b"},
            "spec": {"secretName": "s", "dnsNames": ["a.example"], "issuerRef": {"name": "le"}},
        }
    )
    t = failed({}, IssuerRef("le"), Look(plain, None, reasons.DOES_NOT_EXIST))
    assert "attemptIssuer" not in t.patch


def test_a_success_clears_the_record_so_the_next_renewal_starts_with_the_primary():
    assert cleared_attempt_fields()["attemptIssuer"] is None


def test_the_status_says_which_issuer_issued_the_served_certificate():
    annotations = {"evercert.dev/issuer-name": "zerossl", "evercert.dev/issuer-kind": "ClusterIssuer"}
    served = SecretContents(INFO, True, True, ("RSA", 2048), annotations)
    t = transitions.ready(parse_status({}), Look(SPEC, served, None, NOW + timedelta(days=1)), NOW)
    assert t.patch["issuedBy"] == {"name": "zerossl", "kind": "ClusterIssuer"}
