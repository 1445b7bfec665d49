"""Every transition of a Certificate's status, as pure code (certificates.transitions).

Each row: the status before, what the look found, what happened; then the conditions, the fields
written, the Event and the next look."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from evercert.api.certificate import parse_certificate
from evercert.certificates import transitions
from evercert.certificates.look import Look
from evercert.certificates.status import RenewalInfo, parse_status
from evercert.certificates.tls_secret import SecretContents
from evercert.conditions import timestamp
from evercert.core import reasons
from evercert.core.errors import AcmeFailure, EvercertError, InvalidSpec, IssuerNotFound, SecretNotOwned
from evercert.core.retry import RetryPolicy
from evercert.pki import CertificateInfo

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NOT_BEFORE = datetime(2026, 2, 1, tzinfo=UTC)
NOT_AFTER = NOT_BEFORE + timedelta(days=90)
RENEW_AT = NOT_BEFORE + timedelta(days=60)
SPEC = parse_certificate(
    {
        "metadata": {"name": "web", "namespace": "shop", "uid": "u-1", "generation": 3},
        "spec": {"secretName": "web-tls", "dnsNames": ["www.example.org"], "issuerRef": {"name": "le"}},
    }
)
INFO = CertificateInfo("0a1b", NOT_BEFORE, NOT_AFTER, ("www.example.org",), None, "CA")
SERVED = SecretContents(INFO, True, True, ("ECDSA", 256), {})
ORDER = {"url": "https://ca/order/1", "dnsNames": ["www.example.org"], "issuer": "ClusterIssuer/le"}
POLICY = RetryPolicy()
READY_TRUE = {"type": "Ready", "status": "True", "reason": "Ready", "message": reasons.READY_MESSAGE}


def look(reason: str | None = None, served: SecretContents | None = SERVED, **more: Any) -> Look:
    return Look(SPEC, served, reason, more.pop("renew_at", RENEW_AT if served else None), **more)


def condition(conditions: list[dict[str, Any]], kind: str) -> dict[str, Any] | None:
    return next((c for c in conditions if c["type"] == kind), None)


@dataclass(frozen=True)
class Expect:
    ready: str | None  # the Ready condition's status after, None: not written
    ready_reason: str | None = None
    issuing: str | None = None  # the Issuing condition's status, "absent" when removed
    event: tuple[str, str] | None = None  # (type, reason)
    wake: datetime | None = None
    fields: dict[str, Any] = field(default_factory=dict)  # other fields written, exactly these values


def check(transition: transitions.Transition, expect: Expect) -> None:
    conds = transition.patch.get("conditions", [])
    ready = condition(conds, "Ready")
    assert (ready or {}).get("status") == expect.ready
    if expect.ready_reason:
        assert ready is not None and ready["reason"] == expect.ready_reason
    issuing = condition(conds, "Issuing")
    if expect.issuing == "absent":
        assert "conditions" in transition.patch and issuing is None
    elif expect.issuing is not None:
        assert issuing is not None and issuing["status"] == expect.issuing
    event = transition.event
    assert (None if event is None else (event.type, event.reason)) == expect.event
    assert transition.wake == expect.wake
    for name, value in expect.fields.items():
        assert transition.patch.get(name, "missing") == value, name


READY_FIELDS = {
    "notBefore": timestamp(NOT_BEFORE),
    "notAfter": timestamp(NOT_AFTER),
    "renewalTime": timestamp(RENEW_AT),
    "serialNumber": "0a1b",
    "observedGeneration": 3,
}
CLEARED = {"order": None, "nextAttemptTime": None, "failedIssuanceAttempts": None, "lastFailureTime": None}


def test_ready_brings_a_new_status_in_line_with_the_served_certificate() -> None:
    t = transitions.ready(parse_status({}), look(), NOW)
    check(t, Expect("True", "Ready", "absent", None, RENEW_AT, READY_FIELDS))
    assert "order" not in t.patch  # no attempt to end


def test_ready_writes_nothing_when_the_status_already_says_so() -> None:
    first = transitions.ready(parse_status({}), look(), NOW)
    again = transitions.ready(parse_status(first.patch), look(), NOW + timedelta(hours=1))
    assert again.patch == {} and again.event is None and again.wake == RENEW_AT


def test_ready_ends_what_an_attempt_left_and_keeps_the_transition_time() -> None:
    before = {"order": ORDER, "nextAttemptTime": timestamp(NOW), "failedIssuanceAttempts": 2}
    before["conditions"] = [{**READY_TRUE, "lastTransitionTime": "2026-02-01T00:00:00Z"}]
    t = transitions.ready(parse_status(before), look(), NOW)
    check(t, Expect("True", "Ready", "absent", None, RENEW_AT, {**READY_FIELDS, **CLEARED}))
    assert condition(t.patch["conditions"], "Ready")["lastTransitionTime"] == "2026-02-01T00:00:00Z"


def test_ready_wakes_for_the_next_renewal_info_check_when_it_comes_first() -> None:
    record = RenewalInfo("0a1b", NOW + timedelta(hours=12))
    t = transitions.ready(parse_status({}), look(renewal_info=record), NOW)
    assert t.wake == NOW + timedelta(hours=12)
    assert t.patch["renewalInfo"] == record.to_status()


def test_an_order_whose_certificate_is_served_but_not_reported_finished_before_a_crash() -> None:
    status = parse_status({"order": ORDER, "serialNumber": "old"})
    assert transitions.finished_before_crash(status, look())
    assert not transitions.finished_before_crash(
        parse_status({"order": ORDER, "serialNumber": "0a1b"}), look()
    )
    assert not transitions.finished_before_crash(parse_status({"serialNumber": "old"}), look())


@pytest.mark.parametrize(
    ("reason", "ready"),
    [
        (reasons.RENEWING, None),  # renewing: the served certificate stays Ready
        (reasons.MANUALLY_TRIGGERED, None),
        (reasons.DOES_NOT_EXIST, "False"),  # issuing: nothing good is served
        (reasons.SECRET_MISMATCH, "False"),
        (reasons.EXPIRED, "False"),
    ],
)
def test_issuing(reason: str, ready: str | None) -> None:
    status = parse_status({"conditions": [READY_TRUE]} if ready is None else {})
    t = transitions.issuing(status, look(reason), NOW)
    issuing = condition(t.patch["conditions"], "Issuing")
    assert issuing is not None and issuing["status"] == "True" and issuing["reason"] == reason
    assert (condition(t.patch["conditions"], "Ready") or {}).get("status") == (
        "True" if ready is None else ready
    )
    assert t.event is not None and (t.event.type, t.event.reason) == ("Normal", "Issuing")
    assert reasons.ISSUANCE_TEXT[reason] in t.event.message


def test_waiting_for_dns_says_what_is_missing_in_issuing_without_an_event() -> None:
    status = parse_status({"conditions": [READY_TRUE]})
    message = "waiting for DNS-01: _acme-challenge.x. TXT not yet served by ns. (192.0.2.1:53) (NXDOMAIN)"
    t = transitions.waiting_for_dns(status, look(reasons.RENEWING), message, NOW)
    issuing = condition(t.patch["conditions"], "Issuing")
    assert issuing is not None and issuing["status"] == "True"
    assert (issuing["reason"], issuing["message"]) == ("DNS01PropagationPending", message)
    assert (condition(t.patch["conditions"], "Ready") or {}).get("status") == "True"
    assert t.event is None


def test_issued_counts_a_revision_ends_the_attempt_and_says_so() -> None:
    before = parse_status({"revision": 4, "order": ORDER, "failedIssuanceAttempts": 1})
    t = transitions.issued(before, look(), NOW, renew_request="2026-03-01T11:00:00Z")
    fields = {**READY_FIELDS, **CLEARED, "revision": 5, "lastRenewRequest": "2026-03-01T11:00:00Z"}
    check(t, Expect("True", "Ready", "absent", ("Normal", "Issued"), RENEW_AT, fields))
    assert "0a1b" in t.event.message  # type: ignore[union-attr]


def test_issued_keeps_the_cas_window_asked_for_the_new_certificate() -> None:
    record = RenewalInfo("0a1b", NOW + timedelta(hours=12))
    t = transitions.issued(parse_status({"revision": 1}), look(renewal_info=record), NOW)
    assert t.patch["renewalInfo"] == record.to_status()
    assert t.wake == NOW + timedelta(hours=12)
    # The look that the written Secret wakes then finds the status in line: nothing to write.
    after = parse_status(t.patch)
    assert transitions.ready(after, look(renewal_info=record), NOW).patch == {}


def attempt_failed(reason: str = reasons.ACME_VALIDATION_FAILED, **kw: Any) -> AcmeFailure:
    return AcmeFailure(reason, "the CA said no", **kw)


@pytest.mark.parametrize(
    ("name", "status", "error", "found", "expect"),
    [
        (
            "failed attempt, nothing served: Ready=False, backoff from 1 min, order dropped",
            {},
            attempt_failed(),
            None,
            Expect(
                "False",
                reasons.ACME_VALIDATION_FAILED,
                "False",
                ("Warning", reasons.ACME_VALIDATION_FAILED),
                NOW + timedelta(minutes=1),
                {"failedIssuanceAttempts": 1, "lastFailureTime": timestamp(NOW), "order": None},
            ),
        ),
        (
            "failed renewal, a valid certificate still served: Ready stays, third wait is 100 min",
            {"conditions": [READY_TRUE], "failedIssuanceAttempts": 2},
            attempt_failed(),
            look(reasons.RENEWING),
            Expect(
                "True",
                "Ready",
                "False",
                ("Warning", reasons.ACME_VALIDATION_FAILED),
                NOW + timedelta(minutes=100),
                {"failedIssuanceAttempts": 3, "nextAttemptTime": timestamp(NOW + timedelta(minutes=100))},
            ),
        ),
        (
            "rate limited: Retry-After wins over the backoff, the order is kept (transient)",
            {"order": ORDER},
            attempt_failed(reasons.ACME_RATE_LIMITED, retry_after=NOW + timedelta(hours=3), transient=True),
            look(reasons.DOES_NOT_EXIST, served=None),
            Expect(
                "False",
                reasons.ACME_RATE_LIMITED,
                "False",
                ("Warning", reasons.ACME_RATE_LIMITED),
                NOW + timedelta(hours=3),
                {"failedIssuanceAttempts": 1, "nextAttemptTime": timestamp(NOW + timedelta(hours=3))},
            ),
        ),
        (
            "invalid spec: Ready=False, no attempt counted, look again only on a change",
            {},
            InvalidSpec("spec.dnsNames[0]: not a DNS name"),
            None,
            Expect("False", reasons.INVALID_SPEC, "absent", ("Warning", reasons.INVALID_SPEC), None),
        ),
        (
            "issuer missing: Ready=False, a slow look again in 10 minutes",
            {},
            IssuerNotFound("ClusterIssuer 'le' not found"),
            look(reasons.DOES_NOT_EXIST, served=None),
            Expect(
                "False",
                reasons.ISSUER_NOT_FOUND,
                "absent",
                ("Warning", reasons.ISSUER_NOT_FOUND),
                NOW + timedelta(minutes=10),
            ),
        ),
        (
            "a foreign Secret: Ready=False, no attempt counted",
            {},
            SecretNotOwned("Secret 'web-tls' exists and was not made by evercert"),
            None,
            Expect(
                "False",
                reasons.SECRET_NOT_OWNED,
                "absent",
                ("Warning", reasons.SECRET_NOT_OWNED),
                NOW + timedelta(minutes=10),
            ),
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_failed(
    name: str, status: dict[str, Any], error: EvercertError, found: Look | None, expect: Expect
) -> None:
    t = transitions.failed(parse_status(status), error, NOW, 3, POLICY, found)
    check(t, expect)
    if error.transient:
        assert "order" not in t.patch


def test_the_same_user_error_again_writes_nothing_and_says_nothing() -> None:
    error = IssuerNotFound("ClusterIssuer 'le' not found")
    first = transitions.failed(parse_status({}), error, NOW, 3, POLICY)
    again = transitions.failed(parse_status(first.patch), error, NOW + timedelta(minutes=10), 3, POLICY)
    assert again.patch == {} and again.event is None


def test_every_failed_attempt_is_said_even_with_the_same_reason() -> None:
    first = transitions.failed(parse_status({}), attempt_failed(), NOW, 3, POLICY)
    again = transitions.failed(
        parse_status(first.patch), attempt_failed(), NOW + timedelta(minutes=2), 3, POLICY
    )
    assert again.event is not None and "attempt 2" in again.event.message


def test_waiting_for_the_order_quota_says_when_without_an_event_per_look() -> None:
    until = NOW + timedelta(hours=2)
    waiting = transitions.waiting_for_quota(
        parse_status({}), look(reasons.DOES_NOT_EXIST, None), until, "wait", NOW
    )
    assert waiting.wake == until
    conds = waiting.patch["conditions"]
    assert condition(conds, "Ready")["reason"] == reasons.WAITING_FOR_ORDER_QUOTA
    assert condition(conds, "Ready")["status"] == "False"
    assert condition(conds, "Issuing")["status"] == "True"
    assert waiting.event == transitions.Event("Normal", reasons.WAITING_FOR_ORDER_QUOTA, "wait")
    again = transitions.waiting_for_quota(
        parse_status(waiting.patch), look(reasons.DOES_NOT_EXIST, None), until, "wait", NOW
    )
    assert again.patch == {} and again.event is None and again.wake == until


def test_a_renewal_waiting_for_the_order_quota_stays_ready() -> None:
    status = parse_status({"conditions": [READY_TRUE]})
    waiting = transitions.waiting_for_quota(status, look(reasons.RENEWING), NOW, "wait", NOW)
    conds = waiting.patch["conditions"]
    assert condition(conds, "Ready")["status"] == "True"
    assert condition(conds, "Issuing")["reason"] == reasons.WAITING_FOR_ORDER_QUOTA


def test_a_renewal_outside_the_windows_keeps_ready_and_warns() -> None:
    status = parse_status({"conditions": [READY_TRUE]})

    t = transitions.issuing(status, look(reasons.RENEWED_OUTSIDE_WINDOW), NOW)

    check(t, Expect("True", "Ready", "True", ("Warning", reasons.RENEWED_OUTSIDE_WINDOW)))
    assert t.event is not None and "no renewal window opened" in t.event.message
