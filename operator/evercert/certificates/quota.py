"""One issuance's place in its account's order quota (issuers/pacing.py): wait, take, give back.

New orders take a token; resuming a stored order does not, nor does an ARI renewal that sends
`replaces` (the CA does not count it). A rate-limit answer with Retry-After pauses the account."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from ..api.issuer import IssuerSpec
from ..conditions import timestamp
from ..core import reasons
from ..core.errors import EvercertError, WaitingForOrderQuota
from ..issuers.pacing import OrderPacer, Priority, Token, order_rate_limit, priority
from ..issuers.session import AcmeSession
from .look import Look

# Whatever a CA says, a Retry-After pauses an account for a day at most.
LONGEST_PAUSE = datetime.timedelta(hours=24)


@dataclass(frozen=True)
class OrderQuota:
    pacer: OrderPacer
    session: AcmeSession
    waiter: tuple[str, str]
    place: Priority

    def wait_until(self) -> datetime.datetime | None:
        """None: a new order may be made now; else when the token is expected."""
        return self.pacer.wait_until(self._account, self._limit, self.waiter, self.place)

    def take(self) -> Token:
        """The token for a new order now; WaitingForOrderQuota when there is none."""
        token = self.pacer.take(self._account, self._limit, self.waiter, self.place)
        if isinstance(token, datetime.datetime):
            raise WaitingForOrderQuota(waiting_message(self.session.issuer, token), retry_after=token)
        return token

    def settle(self, token: Token, error: EvercertError | None = None) -> None:
        """The new-order request ended: an error answer from the CA means it made no order."""
        made = error is None or error.reason in (reasons.ACME_SERVER_UNREACHABLE, reasons.ACME_TIMEOUT)
        self.pacer.settle(token, made)

    def leave(self) -> None:
        self.pacer.leave(self._account, self.waiter)

    @property
    def _account(self) -> str:
        return self.session.account_uri

    @property
    def _limit(self) -> Any:
        return order_rate_limit(self.session.issuer)


def order_quota(
    pacer: OrderPacer,
    session: AcmeSession,
    look: Look,
    created: datetime.datetime | None,
    now: datetime.datetime,
) -> OrderQuota:
    """Renewals by the expiry of the certificate served, first issuances by the Certificate's age."""
    served = look.served.info if look.served else None
    place = priority(served.not_after if served else None, created or now)
    return OrderQuota(pacer, session, (look.spec.namespace, look.spec.name), place)


def pause_on_rate_limit(
    pacer: OrderPacer, session: AcmeSession | None, error: EvercertError, now: datetime.datetime
) -> None:
    """A rateLimited answer with Retry-After stops every new order of the account until then."""
    if session is None or error.reason != reasons.ACME_RATE_LIMITED or error.retry_after is None:
        return
    pacer.pause(session.account_uri, min(error.retry_after, now + LONGEST_PAUSE))


def waiting_message(issuer: IssuerSpec, until: datetime.datetime) -> str:
    limit = order_rate_limit(issuer)
    quota = f"{limit.orders} new orders per {_span(limit.per)}" if limit else "paused by the CA"
    return (
        f"waiting for the ACME account's order quota ({quota}); a new order is expected at {timestamp(until)}"
    )


def _span(per: datetime.timedelta) -> str:
    seconds = int(per.total_seconds())
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
