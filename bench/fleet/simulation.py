"""A fleet of Certificates on a simulated clock, driven by evercert's own policy modules.

What runs is the product's code: each look is the operator's own decision (certificates.decide:
renewal time, retry wait, failed-validation hold, order quota, ARI `replaces`), the scheduler's
WorkQueue orders the looks, issuers.pacing paces new orders per account, retry.RetryPolicy spaces
failed attempts. What is modelled: the CA (ca.py) and the world (names failing validation, an
outage). An issuance takes no simulated time; the CA's renewal window (ARI) is taken to be
evercert's default renewal time, so renewals inside it send `replaces`."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

from evercert.api.certificate import CertificateSpec, IssuerRef
from evercert.api.issuer import IssuerSpec, OrderRateLimit
from evercert.api.solvers import Http01IngressSolver
from evercert.certificates import decide as d
from evercert.certificates import facts as f
from evercert.certificates import steps as s
from evercert.certificates.quota import LONGEST_PAUSE
from evercert.certificates.status import CertificateStatus, RenewalInfo
from evercert.certificates.tls_secret import SecretContents
from evercert.certificates.trigger import certificate_renewal_time
from evercert.core import constants, reasons
from evercert.core.errors import AcmeFailure
from evercert.core.retry import RetryPolicy
from evercert.issuers.failed_validations import FailedValidations
from evercert.issuers.pacing import LETS_ENCRYPT_ORDER_LIMIT, OrderPacer, Token, priority
from evercert.pki import CertificateInfo
from evercert.scheduling import WorkQueue

from .ca import FAILED_PER_HOSTNAME, ORDERS_PER_ACCOUNT, ModelCa, Outage, most_in_window

START = datetime.datetime(2028, 3, 1, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)
ACCOUNT = "https://acme-v02.api.letsencrypt.org/acme/acct/1"
UNLIMITED = None
ISSUER_REF = IssuerRef("letsencrypt", "ClusterIssuer")
NAMESPACE = "fleet"


@dataclass(frozen=True)
class Fleet:
    certificates: int = 10_000
    days: int = 180
    lifetime: datetime.timedelta = datetime.timedelta(days=45)
    failing_percent: float = 1.0  # of names failing validation at any time (a new draw each day)
    outage_start: datetime.timedelta = datetime.timedelta(days=60, hours=12)
    outage: datetime.timedelta = datetime.timedelta(hours=6)
    names_per_domain: int = 5  # Certificates per registered domain
    order_limit: OrderRateLimit | None = LETS_ENCRYPT_ORDER_LIMIT  # what evercert paces at
    first_backoff: datetime.timedelta = RetryPolicy().first  # the retry schedule's first wait


@dataclass
class _Certificate:
    spec: CertificateSpec
    domain: str
    served: SecretContents | None = None
    renewal_info: RenewalInfo | None = None
    serial: int = 0
    failed_attempts: int = 0
    last_failure: datetime.datetime | None = None
    next_attempt: datetime.datetime | None = None
    first_issued: datetime.datetime | None = None
    failed_before_first: bool = False

    @property
    def name(self) -> str:
        return self.spec.dns_names[0]

    @property
    def not_after(self) -> datetime.datetime | None:
        return self.served.info.not_after if self.served and self.served.info else None


@dataclass
class Figures:
    orders_per_3h_max: int = 0  # new orders the CA counts (no `replaces`)
    all_orders_per_3h_max: int = 0
    orders: int = 0
    renewals: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    outage_answers: int = 0
    failed_validations: int = 0
    failed_validations_per_hostname_hour_max: int = 0
    renewals_after_expiry: int = 0
    first_certificates_hours: float | None = None  # until all have their first certificate
    # the same for those whose name never failed validation before it: what the order quota allows
    first_certificates_validating_hours: float | None = None
    looks: int = 0
    waits_for_quota: int = 0
    holds: int = 0  # attempts held back by the failed-validation hold

    @property
    def refused_total(self) -> int:
        return sum(self.refused.values())


class SimClock:
    def __init__(self, now: datetime.datetime) -> None:
        self.current = now

    def now(self) -> datetime.datetime:
        return self.current


class FleetSimulation:
    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet
        self.clock = SimClock(START)
        self.queue: WorkQueue[int] = WorkQueue(self.clock)
        self.pacer = OrderPacer(self.clock)
        self.retry = RetryPolicy(first=fleet.first_backoff)
        self.failed_validations = FailedValidations()
        self.issuer = IssuerSpec(
            kind="ClusterIssuer",
            name=ISSUER_REF.name,
            namespace=None,
            server="https://acme-v02.api.letsencrypt.org/directory",
            private_key_secret_name="letsencrypt-account",
            solvers=(Http01IngressSolver(),),
            order_rate_limit=fleet.order_limit,
        )
        outage_at = START + fleet.outage_start
        self.ca = ModelCa(outages=[(outage_at, outage_at + fleet.outage)] if fleet.outage else [])
        self.certificates = [
            _Certificate(_spec(n, fleet), f"customer{n // fleet.names_per_domain}.example")
            for n in range(fleet.certificates)
        ]
        self.figures = Figures()

    def run(self) -> Figures:
        for key in range(len(self.certificates)):
            self.queue.schedule(key, START)  # all applied at once
        end = START + self.fleet.days * DAY
        while (due := self.queue.next_due()) is not None and due <= end:
            self.clock.current = due
            while (key := self.queue.take()) is not None:
                self.queue.done(key, self._look(key))
        return self._figures()

    def _look(self, key: int) -> datetime.datetime | None:
        """One look at a Certificate, as the loop makes it (the same `decide`); returns when to look again."""
        self.figures.looks += 1
        cert, now = self.certificates[key], self.clock.now()
        facts = self._facts(cert, now)
        while True:
            step = d.decide(facts, now)
            if isinstance(step, s.AskQuota):
                place = priority(cert.not_after, START)
                until = self.pacer.wait_until(ACCOUNT, self.fleet.order_limit, key, place)
                facts = replace(facts, quota=f.QuotaAnswer(until))
            elif isinstance(step, s.Serve):
                return step.look.renew_at
            elif isinstance(step, s.Wait):
                return step.until
            elif isinstance(step, s.Hold):
                self.figures.holds += 1
                return step.until
            elif isinstance(step, s.WaitForQuota):
                self.figures.waits_for_quota += 1
                return step.until
            elif isinstance(step, s.Issue):
                return self._attempt(key, cert, step, facts.status)
            else:
                raise AssertionError(f"a step the simulation does not model: {step}")

    def _facts(self, cert: _Certificate, now: datetime.datetime) -> f.Facts:
        """What the loop would gather: the status, the Secret (the watch is never behind), the issuer."""
        status = CertificateStatus(
            renewal_info=cert.renewal_info,
            failed_attempts=cert.failed_attempts,
            last_failure_time=cert.last_failure,
            next_attempt_time=cert.next_attempt,
        )
        held = self.failed_validations.held_until(ACCOUNT, cert.spec.identifiers, now)
        secret = f.SecretRead(_secret_body(cert.served), cert.served)
        issuer = f.IssuerState(self.issuer, ACCOUNT, held_until=held)
        return f.Facts(status, cert.spec, served=cert.served, issuers={ISSUER_REF: issuer}, secret=secret)

    def _attempt(
        self, key: int, cert: _Certificate, step: s.Issue, status: CertificateStatus
    ) -> datetime.datetime:
        now = self.clock.now()
        replaces = step.replaces is not None
        token: Token | None = None
        if not replaces and status.order is None:
            taken = self.pacer.take(ACCOUNT, self.fleet.order_limit, key, priority(cert.not_after, START))
            assert not isinstance(taken, datetime.datetime), "the quota answered a moment ago"
            token = taken
        try:
            refusal = self.ca.new_order(now, cert.name, cert.domain, replaces)
        except Outage:
            self._settle(token, made=False)
            return self._failed(cert, None)
        if refusal is not None:
            self._settle(token, made=False)
            self.pacer.pause(ACCOUNT, min(refusal.retry_after, now + LONGEST_PAUSE))
            return self._failed(cert, refusal.retry_after)
        self._settle(token, made=True)
        if self._failing(key, now):
            self.ca.validation_failed(now, cert.name)
            failure = d.after_error(step, AcmeFailure(reasons.ACME_VALIDATION_FAILED, "no answer"))
            self.failed_validations.record(ACCOUNT, d.failed_validation_names(failure), now)
            return self._failed(cert, None)
        return self._issued(key, cert, replaces)

    def _issued(self, key: int, cert: _Certificate, replaces: bool) -> datetime.datetime:
        now = self.clock.now()
        self.ca.issued(now, cert.name, cert.domain, replaces)
        if cert.not_after is not None:
            self.figures.renewals += 1
            self.figures.renewals_after_expiry += now >= cert.not_after
        cert.serial += 1
        cert.served = _served(cert.spec, key, cert.serial, now, now + self.fleet.lifetime)
        renew_at = certificate_renewal_time(cert.spec, cert.served)
        # The CA's window (ARI): evercert's own renewal time, asked again well after it.
        info = cert.served.info
        assert info is not None
        cert.renewal_info = RenewalInfo(info.serial_hex, info.not_after, renew_at, renew_at)
        cert.failed_attempts, cert.last_failure, cert.next_attempt = 0, None, None
        cert.first_issued = cert.first_issued or now
        return renew_at

    def _failed(self, cert: _Certificate, retry_after: datetime.datetime | None) -> datetime.datetime:
        cert.failed_attempts += 1
        cert.failed_before_first = cert.failed_before_first or cert.first_issued is None
        cert.last_failure = self.clock.now()
        cert.next_attempt = self.retry.next_attempt(self.clock.now(), cert.failed_attempts, retry_after)
        return cert.next_attempt

    def _settle(self, token: Token | None, made: bool) -> None:
        if token is not None:
            self.pacer.settle(token, made)

    def _failing(self, key: int, now: datetime.datetime) -> bool:
        """A stable draw per name and day: `failing_percent` of names fail validation that day."""
        day = (now - START) // DAY
        digest = hashlib.blake2b(f"{key}/{day}".encode(), digest_size=8).digest()
        return int.from_bytes(digest) % 10_000 < self.fleet.failing_percent * 100

    def _figures(self) -> Figures:
        ca, figures = self.ca, self.figures
        figures.orders_per_3h_max = most_in_window(ca.counted_orders, ORDERS_PER_ACCOUNT.per)
        figures.all_orders_per_3h_max = most_in_window(ca.all_orders, ORDERS_PER_ACCOUNT.per)
        figures.orders = len(ca.all_orders)
        figures.refused = dict(ca.refused)
        figures.outage_answers = ca.outage_answers
        figures.failed_validations = sum(len(times) for times in ca.failed.values())
        figures.failed_validations_per_hostname_hour_max = max(
            (most_in_window(times, FAILED_PER_HOSTNAME.per) for times in ca.failed.values()), default=0
        )
        figures.first_certificates_hours = _hours_until_all(self.certificates)
        figures.first_certificates_validating_hours = _hours_until_all(
            [c for c in self.certificates if not c.failed_before_first]
        )
        return figures


def _spec(n: int, fleet: Fleet) -> CertificateSpec:
    name = f"app{n}"
    return CertificateSpec(
        name=name,
        namespace=NAMESPACE,
        secret_name=f"{name}-tls",
        dns_names=(f"{name}.customer{n // fleet.names_per_domain}.example",),
        issuer_ref=ISSUER_REF,
    )


def _served(
    spec: CertificateSpec, key: int, serial: int, not_before: datetime.datetime, not_after: datetime.datetime
) -> SecretContents:
    """What the tls Secret holds once a certificate is written (the facts the look reads, no PEM)."""
    info = CertificateInfo(f"{key:x}{serial:04x}", not_before, not_after, spec.dns_names, None, "Fleet CA")
    annotations = {
        constants.ANNOTATION_CERTIFICATE_NAME: spec.name,
        constants.ANNOTATION_ISSUER_NAME: ISSUER_REF.name,
        constants.ANNOTATION_ISSUER_KIND: ISSUER_REF.kind,
    }
    key_type = (spec.private_key.algorithm, spec.private_key.size)
    return SecretContents(info, True, True, key_type, annotations, f"ari.{key}.{serial}", str(serial))


def _secret_body(served: SecretContents | None) -> dict[str, Any] | None:
    if served is None:
        return None
    return {"metadata": {"resourceVersion": served.resource_version, "annotations": dict(served.annotations)}}


def _hours_until_all(certificates: list[_Certificate]) -> float | None:
    firsts = [c.first_issued for c in certificates]
    if not firsts or None in firsts:
        return None
    return round((max(f for f in firsts if f is not None) - START).total_seconds() / 3600, 1)
