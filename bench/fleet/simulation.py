"""A fleet of Certificates on a simulated clock, driven by evercert's own policy modules.

What runs is the product's code: the scheduler's WorkQueue orders the looks, issuers.pacing paces
new orders per account, retry.RetryPolicy spaces failed attempts, certificates.renewal says when
to renew. What is modelled: the CA (ca.py) and the world (names failing validation, an outage).
An issuance takes no simulated time; renewals send ARI `replaces` (the CA's window is taken to be
evercert's default renewal time)."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field

from evercert.api.issuer import OrderRateLimit
from evercert.certificates.quota import LONGEST_PAUSE
from evercert.certificates.renewal import renewal_time
from evercert.issuers.pacing import LETS_ENCRYPT_ORDER_LIMIT, OrderPacer, Token, priority
from evercert.retry import RetryPolicy
from evercert.scheduling import WorkQueue

from .ca import FAILED_PER_HOSTNAME, ORDERS_PER_ACCOUNT, ModelCa, Outage, most_in_window

START = datetime.datetime(2028, 3, 1, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)
ACCOUNT = "https://acme-v02.api.letsencrypt.org/acme/acct/1"
UNLIMITED = None


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


@dataclass
class _Certificate:
    name: str
    domain: str
    not_before: datetime.datetime | None = None
    not_after: datetime.datetime | None = None
    renew_at: datetime.datetime | None = None
    serial: int = 0
    failed_attempts: int = 0
    next_attempt: datetime.datetime | None = None
    first_issued: datetime.datetime | None = None
    failed_before_first: bool = False


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
        self.retry = RetryPolicy()
        outage_at = START + fleet.outage_start
        self.ca = ModelCa(outages=[(outage_at, outage_at + fleet.outage)] if fleet.outage else [])
        self.certificates = [
            _Certificate(
                f"app{n}.customer{n // fleet.names_per_domain}.example",
                f"customer{n // fleet.names_per_domain}.example",
            )
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

    def _look(self, key: int) -> datetime.datetime:
        """One look at a Certificate, as the loop makes it; returns when to look again."""
        self.figures.looks += 1
        cert, now = self.certificates[key], self.clock.now()
        if cert.renew_at is not None and now < cert.renew_at:
            return cert.renew_at
        if cert.next_attempt is not None and now < cert.next_attempt:
            return cert.next_attempt
        replaces = cert.not_after is not None
        token: Token | None = None
        if not replaces:
            taken = self.pacer.take(ACCOUNT, self.fleet.order_limit, key, priority(cert.not_after, START))
            if isinstance(taken, datetime.datetime):
                self.figures.waits_for_quota += 1
                return taken
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
            return self._failed(cert, None)
        return self._issued(key, cert, replaces)

    def _issued(self, key: int, cert: _Certificate, replaces: bool) -> datetime.datetime:
        now = self.clock.now()
        self.ca.issued(now, cert.name, cert.domain, replaces)
        if cert.not_after is not None:
            self.figures.renewals += 1
            self.figures.renewals_after_expiry += now >= cert.not_after
        cert.serial += 1
        cert.not_before, cert.not_after = now, now + self.fleet.lifetime
        cert.renew_at = renewal_time(now, cert.not_after, jitter_seed=f"{key}/{cert.serial}")
        cert.failed_attempts, cert.next_attempt = 0, None
        cert.first_issued = cert.first_issued or now
        return cert.renew_at

    def _failed(self, cert: _Certificate, retry_after: datetime.datetime | None) -> datetime.datetime:
        cert.failed_attempts += 1
        cert.failed_before_first = cert.failed_before_first or cert.first_issued is None
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


def _hours_until_all(certificates: list[_Certificate]) -> float | None:
    firsts = [c.first_issued for c in certificates]
    if not firsts or None in firsts:
        return None
    return round((max(f for f in firsts if f is not None) - START).total_seconds() / 3600, 1)
