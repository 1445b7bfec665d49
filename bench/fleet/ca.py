"""A model of Let's Encrypt's rate limits: what it refuses, and a record of what it was asked.

Every limit is counted in a sliding window, the strictest reading of "N per span" (Let's Encrypt
itself refills a bucket, which allows at least as much). ARI renewals that send `replaces` are not
counted by the order, registered-domain and exact-name-set limits; failed validations always count."""

from __future__ import annotations

import bisect
import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field

HOUR = datetime.timedelta(hours=1)
WEEK = datetime.timedelta(days=7)


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    per: datetime.timedelta


ORDERS_PER_ACCOUNT = Limit("new orders per account", 300, 3 * HOUR)
FAILED_PER_HOSTNAME = Limit("failed validations per hostname per account", 5, HOUR)
CERTS_PER_DOMAIN = Limit("certificates per registered domain", 50, WEEK)
CERTS_PER_NAME_SET = Limit("certificates per exact set of names", 5, WEEK)


@dataclass(frozen=True)
class Refusal:
    """A 429 rateLimited answer: which limit, and its Retry-After."""

    limit: str
    retry_after: datetime.datetime


class Outage(Exception):
    """The CA answers 503 to everything."""


@dataclass
class ModelCa:
    outages: list[tuple[datetime.datetime, datetime.datetime]] = field(default_factory=list)
    counted_orders: list[datetime.datetime] = field(default_factory=list)  # without `replaces`
    all_orders: list[datetime.datetime] = field(default_factory=list)
    failed: dict[str, list[datetime.datetime]] = field(default_factory=lambda: defaultdict(list))
    by_domain: dict[str, list[datetime.datetime]] = field(default_factory=lambda: defaultdict(list))
    by_names: dict[str, list[datetime.datetime]] = field(default_factory=lambda: defaultdict(list))
    refused: Counter[str] = field(default_factory=Counter)
    outage_answers: int = 0

    def new_order(self, now: datetime.datetime, name: str, domain: str, replaces: bool) -> Refusal | None:
        """None: the order is made; else the refusal. Raises Outage while the CA is down."""
        if any(start <= now < end for start, end in self.outages):
            self.outage_answers += 1
            raise Outage
        checks = [(FAILED_PER_HOSTNAME, self.failed[name])]
        if not replaces:
            checks += [
                (ORDERS_PER_ACCOUNT, self.counted_orders),
                (CERTS_PER_DOMAIN, self.by_domain[domain]),
                (CERTS_PER_NAME_SET, self.by_names[name]),
            ]
        for limit, times in checks:
            first = bisect.bisect_right(times, now - limit.per)
            if len(times) - first >= limit.count:
                self.refused[limit.name] += 1
                return Refusal(limit.name, times[first] + limit.per)
        self.all_orders.append(now)
        if not replaces:
            self.counted_orders.append(now)
        return None

    def validation_failed(self, now: datetime.datetime, name: str) -> None:
        self.failed[name].append(now)

    def issued(self, now: datetime.datetime, name: str, domain: str, replaces: bool) -> None:
        if not replaces:
            self.by_domain[domain].append(now)
            self.by_names[name].append(now)


def most_in_window(times: list[datetime.datetime], span: datetime.timedelta) -> int:
    """The most of `times` (sorted) inside any window of length `span`."""
    most, first = 0, 0
    for last, moment in enumerate(times):
        while times[first] <= moment - span:
            first += 1
        most = max(most, last - first + 1)
    return most
