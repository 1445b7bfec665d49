"""One pass's decision as pure code (certificates.decide): a named row for every way a pass goes.

Each row: the facts gathered so far; then the step `decide` takes (a fact to ask for, or the end of
the pass) and what that step carries."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from evercert.api.certificate import IssuerRef, parse_certificate
from evercert.api.issuer import IssuerSpec
from evercert.api.solvers import Http01IngressSolver
from evercert.certificates import decide as d
from evercert.certificates import steps as s
from evercert.certificates.facts import Facts, IssuerState, QuotaAnswer, SecretRead
from evercert.certificates.outputs import Passwords, outputs_digest
from evercert.certificates.status import RenewalInfo, parse_status
from evercert.certificates.tls_secret import SecretContents
from evercert.conditions import timestamp
from evercert.core import constants, reasons
from evercert.core.errors import (
    AcmeFailure,
    InvalidSpec,
    IssuerNotFound,
    IssuerNotReady,
    KeystorePasswordUnavailable,
)
from evercert.core.retry import RETRY_AFTER_API_ERROR
from evercert.pki import CertificateInfo

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NOT_BEFORE = datetime(2026, 2, 1, tzinfo=UTC)
NOT_AFTER = NOT_BEFORE + timedelta(days=90)
PRIMARY = IssuerRef("le", "ClusterIssuer")
FALLBACK = IssuerRef("backup", "ClusterIssuer")
SPEC = parse_certificate(
    {
        "metadata": {"name": "web", "namespace": "shop", "uid": "u-1", "generation": 3},
        "spec": {
            "secretName": "web-tls",
            "dnsNames": ["www.example.org"],
            "issuerRef": {"name": "le", "kind": "ClusterIssuer"},
            "fallbackIssuerRefs": [{"name": "backup", "kind": "ClusterIssuer"}],
        },
    }
)


def with_spec(**extra: Any) -> Any:
    body = {
        "metadata": {"name": "web", "namespace": "shop", "uid": "u-1", "generation": 3},
        "spec": {
            "secretName": "web-tls",
            "dnsNames": ["www.example.org"],
            "issuerRef": {"name": "le", "kind": "ClusterIssuer"},
            **extra,
        },
    }
    return parse_certificate(body)


# One window a year: a renewal of this 90-day certificate may wait for one at most 15 days.
CLOSED_TOO_LONG = with_spec(renewal={"windows": [{"cron": "0 2 1 1 *", "windowDuration": "1h"}]})
# Keystores: a password kept in a Secret (read at each pass), or given in the spec (no request).
PASSWORD_REF = {"passwordSecretRef": {"name": "p12-password", "key": "password"}}
FROM_SECRET = with_spec(keystores={"pkcs12": {"create": True, **PASSWORD_REF}})
LITERAL = with_spec(keystores={"jks": {"create": True, "password": "changeit"}})
COMBINED = with_spec(additionalOutputFormats=[{"type": "CombinedPEM"}])
READ = Passwords(pkcs12="s3cret")
UNAVAILABLE = KeystorePasswordUnavailable("the keystore password Secret 'p12-password' does not exist")
ISSUER = IssuerSpec(
    kind="ClusterIssuer",
    name="le",
    namespace=None,
    server="https://ca/dir",
    private_key_secret_name="k",
    solvers=(Http01IngressSolver(),),
)
WILDCARD = replace(SPEC, dns_names=("*.example.org",))
ACCOUNT = "https://ca/acct/1"
USABLE = IssuerState(ISSUER, ACCOUNT)
BACKUP = IssuerState(replace(ISSUER, name="backup"), "https://backup/acct/1")
NOT_FOUND = IssuerState(error=IssuerNotFound("ClusterIssuer 'le' not found"))


def served(
    issuer: IssuerRef = PRIMARY,
    owner: str | None = "web",
    not_after: datetime = NOT_AFTER,
    serial: str = "0a1b",
    rv: str = "7",
    outputs: str | None = None,
    files: tuple[str, ...] = (),
) -> SecretContents:
    annotations = {
        constants.ANNOTATION_ISSUER_NAME: issuer.name,
        constants.ANNOTATION_ISSUER_KIND: issuer.kind,
    }
    if outputs is not None:
        annotations[constants.ANNOTATION_OUTPUTS] = outputs
    if owner:
        annotations[constants.ANNOTATION_CERTIFICATE_NAME] = owner
    info = CertificateInfo(serial, NOT_BEFORE, not_after, ("www.example.org",), None, "CA")
    key_type = (SPEC.private_key.algorithm, SPEC.private_key.size)
    return SecretContents(info, True, True, key_type, annotations, "ari-0a1b", rv, files)


GOOD = served()
GOOD_COMBINED = served(outputs=outputs_digest(COMBINED, Passwords()), files=(constants.COMBINED_PEM,))
GOOD_KEYSTORE = served(outputs=outputs_digest(FROM_SECRET, READ), files=(constants.KEYSTORE_P12,))
DUE = served(not_after=NOW + timedelta(days=5))  # past its renewal time, not expired
EXPIRED = served(not_after=NOW - timedelta(days=1))
FROM_FALLBACK_DUE = served(FALLBACK, not_after=NOW + timedelta(days=5))
LATER = NOW + timedelta(days=40)
# The CA's window (ARI): far off for GOOD; already open for DUE (so its renewal sends `replaces`).
WINDOW = RenewalInfo("0a1b", NOW + timedelta(hours=6), LATER, LATER)
OPEN_WINDOW = RenewalInfo("0a1b", NOW + timedelta(hours=6), NOW - timedelta(hours=1), NOW)


def secret_body(owner: str | None = "web", rv: str = "7") -> dict[str, Any]:
    annotations = {constants.ANNOTATION_CERTIFICATE_NAME: owner} if owner else {}
    return {"type": "kubernetes.io/tls", "metadata": {"resourceVersion": rv, "annotations": annotations}}


# A Secret cert-manager wrote for this Certificate (the watch of evercert's Secrets does not hold it).
CERT_MANAGER_ANNOTATIONS = {
    constants.CERT_MANAGER_ANNOTATION_CERTIFICATE_NAME: "web",
    constants.CERT_MANAGER_ANNOTATION_ISSUER_NAME: "le",
    constants.CERT_MANAGER_ANNOTATION_ISSUER_KIND: "ClusterIssuer",
    constants.CERT_MANAGER_ANNOTATION_ISSUER_GROUP: constants.CERT_MANAGER_GROUP,
}


def cert_manager_secret(not_after: datetime = NOT_AFTER) -> SecretRead:
    body = {
        "type": "kubernetes.io/tls",
        "metadata": {"resourceVersion": "7", "annotations": dict(CERT_MANAGER_ANNOTATIONS)},
    }
    contents = replace(served(not_after=not_after), annotations=dict(CERT_MANAGER_ANNOTATIONS))
    return SecretRead(body, contents, adoptable=True)


def status(**raw: Any) -> Any:
    return parse_status(raw)


SAME_SECRET = SecretRead(secret_body(), DUE)
NO_SECRET = SecretRead(None, None)
FAILED_ONCE = {"failedIssuanceAttempts": 1, "lastFailureTime": timestamp(NOW - timedelta(minutes=1))}
SERVED_TIMES = {"notBefore": timestamp(NOT_BEFORE), "notAfter": timestamp(NOT_AFTER)}
ORDER = {"url": "https://ca/order/1", "dnsNames": ["www.example.org"], "issuer": "ClusterIssuer/le"}


def facts(**given: Any) -> Facts:
    given.setdefault("status", status())
    given.setdefault("spec", SPEC)
    given.setdefault("generation", 3)
    given.setdefault("issuers", {PRIMARY: USABLE, FALLBACK: BACKUP})
    return Facts(**given)


@dataclass(frozen=True)
class Row:
    facts: Facts
    step: type
    expect: dict[str, Any] = field(default_factory=dict)  # attributes of the step (dotted paths)


ROWS: dict[str, Row] = {
    # The spec and the Secret the watch holds
    "invalid_spec_fails_without_an_attempt": Row(
        Facts(status(), None, InvalidSpec("spec.dnsNames: required")),
        s.Fail,
        {"error.reason": reasons.INVALID_SPEC, "look": None, "ref": None},
    ),
    "renewal_windows_that_leave_too_long_closed_fail_without_an_attempt": Row(
        facts(spec=CLOSED_TOO_LONG, served=GOOD, status=status(**SERVED_TIMES)),
        s.Fail,
        {"error.reason": reasons.INVALID_SPEC, "look": None, "ref": None},
    ),
    "secret_of_another_certificate_fails": Row(
        facts(served=served(owner="other")), s.Fail, {"error.reason": reasons.SECRET_IN_USE, "look": None}
    ),
    "secret_not_made_by_evercert_fails": Row(
        facts(served=served(owner=None)), s.Fail, {"error.reason": reasons.SECRET_NOT_OWNED}
    ),
    # The look at a good certificate
    "good_certificate_asks_the_ca_for_its_window": Row(
        facts(served=GOOD), s.AskRenewalInfo, {"ref": PRIMARY, "served": GOOD}
    ),
    "good_certificate_with_a_stored_window_is_served": Row(
        facts(served=GOOD, status=status(renewalInfo=WINDOW.to_status())),
        s.Serve,
        {"look.reason": None, "look.renew_at": LATER, "remove_leftovers": False},
    ),
    "good_certificate_with_the_window_asked_this_pass_is_served": Row(
        facts(served=GOOD, windows={"0a1b": WINDOW}),
        s.Serve,
        {"look.renew_at": LATER, "look.renewal_info": WINDOW},
    ),
    "good_certificate_of_an_issuer_gone_is_served_at_the_spec_time": Row(
        facts(served=GOOD, issuers={PRIMARY: NOT_FOUND}),
        s.Serve,
        {"look.reason": None, "look.renewal_info": None},
    ),
    "good_certificate_after_a_failed_attempt_cleans_up": Row(
        facts(served=GOOD, windows={"0a1b": WINDOW}, status=status(nextAttemptTime=timestamp(LATER))),
        s.Serve,
        {"remove_leftovers": True, "issued_before_crash": False},
    ),
    "order_that_finished_before_a_crash_is_reported_issued": Row(
        facts(served=GOOD, windows={"0a1b": WINDOW}, status=status(order=ORDER, serialNumber="99")),
        s.Serve,
        {"remove_leftovers": True, "issued_before_crash": True, "look.renewal_info": None},
    ),
    # Outputs (formats, keystores): the Secret written again, without a new certificate
    "outputs_the_spec_no_longer_matches_are_written_again": Row(
        facts(spec=COMBINED, served=GOOD, windows={"0a1b": WINDOW}),
        s.Serve,
        {"rewrite_outputs": True, "look.reason": None},
    ),
    "outputs_as_the_spec_asks_are_left_alone": Row(
        facts(spec=COMBINED, served=GOOD_COMBINED, windows={"0a1b": WINDOW}),
        s.Serve,
        {"rewrite_outputs": False},
    ),
    "keystore_password_in_a_secret_is_read_at_each_pass": Row(
        facts(spec=FROM_SECRET, served=GOOD_KEYSTORE), s.ReadPasswords
    ),
    "keystore_password_read_unchanged_leaves_the_outputs_alone": Row(
        facts(spec=FROM_SECRET, served=GOOD_KEYSTORE, passwords=READ, windows={"0a1b": WINDOW}),
        s.Serve,
        {"rewrite_outputs": False, "passwords": READ},
    ),
    "keystore_password_changed_writes_the_outputs_again": Row(
        facts(
            spec=FROM_SECRET,
            served=GOOD_KEYSTORE,
            passwords=Passwords(pkcs12="new"),
            windows={"0a1b": WINDOW},
        ),
        s.Serve,
        {"rewrite_outputs": True, "passwords": Passwords(pkcs12="new")},
    ),
    "keystore_password_unavailable_fails_and_orders_nothing": Row(
        facts(spec=FROM_SECRET, password_error=UNAVAILABLE),
        s.Fail,
        {"error.reason": reasons.KEYSTORE_PASSWORD_UNAVAILABLE, "look": None, "ref": None},
    ),
    "keystore_password_in_the_spec_goes_with_the_issuance_unread": Row(
        facts(spec=LITERAL, secret=NO_SECRET, quota=QuotaAnswer(None)),
        s.Issue,
        {"passwords": Passwords(jks="changeit"), "look.reason": reasons.DOES_NOT_EXIST},
    ),
    # Which issuer an attempt goes to
    "no_secret_and_no_issuer_fails_the_attempt": Row(
        facts(issuers={PRIMARY: NOT_FOUND, FALLBACK: BACKUP}),
        s.Fail,
        {"error.reason": reasons.ISSUER_NOT_FOUND, "look.reason": reasons.DOES_NOT_EXIST, "ref": PRIMARY},
    ),
    "issuer_not_ready_fails_the_attempt": Row(
        facts(issuers={PRIMARY: IssuerState(error=IssuerNotReady("not ready"))}),
        s.Fail,
        {"error.reason": reasons.ISSUER_NOT_READY, "ref": PRIMARY},
    ),
    "attempt_goes_to_the_fallback_the_failures_chose": Row(
        facts(
            served=DUE,
            windows={"0a1b": OPEN_WINDOW},
            secret=SAME_SECRET,
            status=status(
                attemptIssuer={
                    "name": "backup",
                    "kind": "ClusterIssuer",
                    "failedAttempts": 0,
                    "since": timestamp(NOW),
                }
            ),
            issuers={PRIMARY: NOT_FOUND, FALLBACK: BACKUP},
        ),
        s.AskQuota,
        {"ref": FALLBACK},
    ),
    "wildcard_without_a_dns01_solver_fails_the_attempt_before_its_wait": Row(
        facts(spec=WILDCARD, status=status(**FAILED_ONCE, nextAttemptTime=timestamp(LATER))),
        s.Fail,
        {"error.reason": reasons.INVALID_SPEC, "ref": PRIMARY, "look.reason": reasons.DOES_NOT_EXIST},
    ),
    # The retry schedule, `evercert renew`, the failed-validation hold
    "failed_attempt_waits_for_its_next_attempt": Row(
        facts(status=status(**FAILED_ONCE, nextAttemptTime=timestamp(LATER))), s.Wait, {"until": LATER}
    ),
    "renew_request_after_the_failure_skips_the_wait": Row(
        facts(status=status(**FAILED_ONCE, nextAttemptTime=timestamp(LATER)), renew_request=timestamp(NOW)),
        s.ReadSecret,
    ),
    "renew_request_older_than_the_failure_waits": Row(
        facts(
            status=status(**FAILED_ONCE, nextAttemptTime=timestamp(LATER)),
            renew_request=timestamp(NOW - timedelta(hours=1)),
        ),
        s.Wait,
        {"until": LATER},
    ),
    "renew_request_issues_a_good_certificate_again": Row(
        facts(
            served=GOOD, renew_request="now", secret=SecretRead(secret_body(), GOOD), quota=QuotaAnswer(None)
        ),
        s.Issue,
        {"look.reason": reasons.MANUALLY_TRIGGERED},
    ),
    "names_that_failed_validation_too_often_are_held": Row(
        facts(issuers={PRIMARY: replace(USABLE, held_until=LATER)}), s.Hold, {"until": LATER}
    ),
    # The Secret itself, read once before an attempt
    "attempt_reads_the_secret_first": Row(facts(served=DUE, windows={"0a1b": OPEN_WINDOW}), s.ReadSecret),
    "secret_read_now_belongs_to_another_certificate": Row(
        facts(secret=SecretRead(secret_body(owner="other"), None)),
        s.Fail,
        {"error.reason": reasons.SECRET_IN_USE, "ref": PRIMARY, "look.reason": reasons.DOES_NOT_EXIST},
    ),
    "watch_behind_a_secret_that_is_good_serves_it": Row(
        facts(secret=SecretRead(secret_body(), GOOD), windows={"0a1b": WINDOW}),
        s.Serve,
        {"look.served": GOOD, "adopt": None},
    ),
    "watch_behind_a_good_secret_asks_the_attempt_issuer_for_its_window": Row(
        facts(secret=SecretRead(secret_body(), GOOD)), s.AskRenewalInfo, {"ref": PRIMARY, "served": GOOD}
    ),
    "watch_behind_a_secret_that_needs_a_new_certificate_goes_on_with_what_it_holds": Row(
        facts(secret=SecretRead(secret_body(), EXPIRED)),
        s.AskQuota,
        {"look.served": EXPIRED, "look.reason": reasons.EXPIRED, "ref": PRIMARY},
    ),
    # A Secret cert-manager wrote for this Certificate (issue 21)
    "cert_manager_secret_that_serves_the_spec_is_adopted": Row(
        facts(secret=cert_manager_secret(), windows={"0a1b": WINDOW}),
        s.Serve,
        {"adopt": PRIMARY, "look.reason": None, "look.renew_at": LATER},
    ),
    "renewal_of_a_cert_manager_secret_replaces_its_certificate": Row(
        facts(secret=cert_manager_secret(NOW + timedelta(days=5)), windows={"0a1b": OPEN_WINDOW}),
        s.Issue,
        {"ref": PRIMARY, "replaces": "ari-0a1b", "look.reason": reasons.RENEWING},
    ),
    # The order quota, and the attempt
    "new_order_asks_for_the_quota": Row(facts(secret=NO_SECRET), s.AskQuota, {"ref": PRIMARY}),
    "new_order_without_a_token_waits_for_the_quota": Row(
        facts(secret=NO_SECRET, quota=QuotaAnswer(LATER)),
        s.WaitForQuota,
        {"until": LATER, "issuer": ISSUER, "look.reason": reasons.DOES_NOT_EXIST},
    ),
    "new_order_with_a_token_issues": Row(
        facts(secret=NO_SECRET, quota=QuotaAnswer(None)),
        s.Issue,
        {"ref": PRIMARY, "replaces": None, "secret": NO_SECRET},
    ),
    "stored_order_resumes_without_the_quota": Row(
        facts(secret=NO_SECRET, status=status(order=ORDER)), s.Issue, {"replaces": None}
    ),
    "renewal_in_the_ca_window_replaces_without_the_quota": Row(
        facts(served=DUE, windows={"0a1b": OPEN_WINDOW}, secret=SAME_SECRET),
        s.Issue,
        {"replaces": "ari-0a1b", "look.reason": reasons.RENEWING},
    ),
    "expired_certificate_needs_a_new_order": Row(
        facts(served=EXPIRED, secret=SecretRead(secret_body(), EXPIRED)),
        s.AskQuota,
        {"look.reason": reasons.EXPIRED},
    ),
    "renewal_of_a_fallback_certificate_from_the_primary_sends_no_replaces": Row(
        facts(
            served=FROM_FALLBACK_DUE,
            windows={"0a1b": OPEN_WINDOW},
            secret=SecretRead(secret_body(), FROM_FALLBACK_DUE),
            quota=QuotaAnswer(None),
        ),
        s.Issue,
        {"ref": PRIMARY, "replaces": None},
    ),
}


def attribute(value: Any, path: str) -> Any:
    for part in path.split("."):
        value = getattr(value, part)
    return value


@pytest.mark.parametrize("name", ROWS)
def test_decide(name: str) -> None:
    row = ROWS[name]
    step = d.decide(row.facts, NOW)
    assert type(step) is row.step, step
    for path, value in row.expect.items():
        assert attribute(step, path) == value, path


def test_an_error_while_issuing_fails_that_attempt_and_remembers_a_failed_validation() -> None:
    issue = d.decide(facts(secret=NO_SECRET, quota=QuotaAnswer(None)), NOW)
    assert isinstance(issue, s.Issue)
    fail = d.after_error(issue, AcmeFailure(reasons.ACME_VALIDATION_FAILED, "no route"))
    assert (fail.look, fail.ref) == (issue.look, PRIMARY)
    assert d.failed_validation_names(fail) == ("www.example.org",)
    named = d.after_error(issue, AcmeFailure(reasons.ACME_VALIDATION_FAILED, "x", names=("a.example",)))
    assert d.failed_validation_names(named) == ("a.example",)


def test_an_error_outside_an_attempt_records_no_failed_validation() -> None:
    fail = d.after_error(None, AcmeFailure(reasons.ACME_VALIDATION_FAILED, "no route"))
    assert (fail.look, fail.ref) == (None, None)
    assert d.failed_validation_names(fail) == ()
    assert (
        d.failed_validation_names(d.after_error(None, AcmeFailure(reasons.ACME_RATE_LIMITED, "slow"))) == ()
    )


def test_an_apiserver_error_looks_again_soon() -> None:
    assert d.after_api_error(NOW) == s.Wait(NOW + RETRY_AFTER_API_ERROR)


def test_every_step_has_a_row() -> None:
    steps = {type(d.decide(row.facts, NOW)) for row in ROWS.values()}
    assert steps == set(s.Step.__args__)  # type: ignore[attr-defined]
