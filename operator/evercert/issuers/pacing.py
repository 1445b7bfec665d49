"""Per-account order pacing, pure and driven by an injected clock: never more new orders than the CA allows.

Each account has a bucket of `orders` tokens; a token taken comes back `per` after its order was
made, so no span of `per` ever holds more than `orders` new orders, whether the CA counts them in
a sliding window or with a refilling bucket. Certificates that find no token wait in a queue:
renewals first, nearest expiry first, then first issuances first-come first-served. Each is told
when its token is expected, and looks again then (it holds no worker meanwhile).
A CA's `Retry-After` on a rate-limit answer pauses the whole account's new orders."""

from __future__ import annotations

import bisect
import datetime
import itertools
from collections.abc import Hashable
from dataclasses import dataclass, field

from ..api.issuer import IssuerSpec, OrderRateLimit
from ..core.clock import Clock

# Let's Encrypt: 300 new orders per account per 3 hours (production and staging alike).
LETS_ENCRYPT_ORDER_LIMIT = OrderRateLimit(300, datetime.timedelta(hours=3))
LETS_ENCRYPT_DIRECTORIES = (
    "https://acme-v02.api.letsencrypt.org/directory",
    "https://acme-staging-v02.api.letsencrypt.org/directory",
)
# A waiter that has not come back this long after its expected time is gone (deleted, no longer
# needing an order): it stops holding its place in the queue.
ABSENT_AFTER = datetime.timedelta(minutes=5)

Priority = tuple[int, datetime.datetime]


def order_rate_limit(issuer: IssuerSpec) -> OrderRateLimit | None:
    """The issuer's own limit, else the CA's known one; None: unlimited."""
    if issuer.order_rate_limit is not None:
        return issuer.order_rate_limit
    return LETS_ENCRYPT_ORDER_LIMIT if issuer.server.rstrip("/") in LETS_ENCRYPT_DIRECTORIES else None


def priority(expires: datetime.datetime | None, since: datetime.datetime) -> Priority:
    """Renewals first, the one whose certificate expires first ahead; then first issuances by age."""
    return (0, expires) if expires is not None else (1, since)


@dataclass(frozen=True)
class Token:
    """One new order's token: given back at once if the CA made no order, else `per` after it did."""

    account: Hashable
    taken_at: datetime.datetime


@dataclass
class _Waiter:
    place: tuple[Priority, int]
    expected: datetime.datetime


@dataclass
class _Account:
    limit: OrderRateLimit | None = None
    made: list[datetime.datetime] = field(default_factory=list)  # sorted: orders inside the last `per`
    queue: list[tuple[Priority, int]] = field(default_factory=list)  # sorted places of the waiters
    waiters: dict[Hashable, _Waiter] = field(default_factory=dict)
    paused_until: datetime.datetime | None = None
    next_sweep: datetime.datetime | None = None  # no waiter can be absent before this


class OrderPacer:
    """Token buckets per account key (the ACME account URI) and the queue of those waiting for one."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._accounts: dict[Hashable, _Account] = {}
        self._arrivals = itertools.count()

    def wait_until(
        self, account: Hashable, limit: OrderRateLimit | None, waiter: Hashable, place: Priority
    ) -> datetime.datetime | None:
        """None if `waiter` may make a new order now; else when its token is expected (it joins the queue)."""
        state = self._account(account, limit)
        now = self._clock.now()
        paused = state.paused_until if state.paused_until and state.paused_until > now else None
        if limit is None:
            return paused
        rank = self._rank(state, waiter, place, now)
        expected = self._token_time(state, limit, rank, now)
        if paused is not None:
            expected = max(expected, paused)
        state.waiters[waiter].expected = expected
        absent_at = expected + ABSENT_AFTER
        if state.next_sweep is None or absent_at < state.next_sweep:
            state.next_sweep = absent_at
        return None if expected <= now else expected

    def take(
        self, account: Hashable, limit: OrderRateLimit | None, waiter: Hashable, place: Priority
    ) -> Token | datetime.datetime:
        """A token for a new order now, or when one is expected for `waiter`."""
        until = self.wait_until(account, limit, waiter, place)
        if until is not None:
            return until
        now = self._clock.now()
        state = self._accounts[account]
        self._leave(state, waiter)
        if limit is not None:
            bisect.insort(state.made, now)
        return Token(account, now)

    def settle(self, token: Token, order_made: bool) -> None:
        """The new-order request ended: its token counts from now, or comes back if no order was made."""
        state = self._accounts.get(token.account)
        if state is None or state.limit is None:
            return
        index = bisect.bisect_left(state.made, token.taken_at)
        if index < len(state.made) and state.made[index] == token.taken_at:
            del state.made[index]
        if order_made:
            # Counting from the answer, not the request, keeps the CA's window (which counts
            # from when the order arrived) from ever seeing one order too many.
            bisect.insort(state.made, self._clock.now())

    def pause(self, account: Hashable, until: datetime.datetime) -> None:
        """The CA asked the account to slow down: no new order until `until`."""
        state = self._accounts.setdefault(account, _Account())
        if state.paused_until is None or until > state.paused_until:
            state.paused_until = until

    def leave(self, account: Hashable, waiter: Hashable) -> None:
        """`waiter` no longer waits (it resumed an order, or needs none)."""
        state = self._accounts.get(account)
        if state is not None:
            self._leave(state, waiter)

    def waiting(self, account: Hashable) -> int:
        state = self._accounts.get(account)
        return len(state.waiters) if state else 0

    def _account(self, account: Hashable, limit: OrderRateLimit | None) -> _Account:
        state = self._accounts.setdefault(account, _Account())
        state.limit = limit
        if limit is not None:
            now = self._clock.now()
            gone = bisect.bisect_right(state.made, now - limit.per)
            del state.made[:gone]
        return state

    def _rank(self, state: _Account, waiter: Hashable, place: Priority, now: datetime.datetime) -> int:
        """The waiter's place in the queue (0: first): it joins when new, and only ever moves forward
        (asking again never sends a waiter to the back)."""
        self._sweep(state, now)
        current = state.waiters.get(waiter)
        if current is None or place < current.place[0]:
            if current is not None:
                self._leave(state, waiter)
            current = _Waiter((place, next(self._arrivals)), now)
            state.waiters[waiter] = current
            bisect.insort(state.queue, current.place)
        return bisect.bisect_left(state.queue, current.place)

    @staticmethod
    def _token_time(
        state: _Account, limit: OrderRateLimit, rank: int, now: datetime.datetime
    ) -> datetime.datetime:
        """When the token for the waiter at `rank` is free: tokens free now, then as each comes back,
        then round again one `per` later for every full round of waiters ahead."""
        free = limit.orders - len(state.made)
        rounds, index = divmod(rank, limit.orders)
        base = now if index < free else state.made[index - free] + limit.per
        return base + limit.per * rounds

    @staticmethod
    def _leave(state: _Account, waiter: Hashable) -> None:
        current = state.waiters.pop(waiter, None)
        if current is not None:
            index = bisect.bisect_left(state.queue, current.place)
            del state.queue[index]

    @staticmethod
    def _sweep(state: _Account, now: datetime.datetime) -> None:
        """Drop waiters that did not come back within ABSENT_AFTER of their token's time."""
        if state.next_sweep is None or now <= state.next_sweep:
            return
        absent = [key for key, waiter in state.waiters.items() if waiter.expected + ABSENT_AFTER < now]
        for key in absent:
            OrderPacer._leave(state, key)
        state.next_sweep = min((w.expected + ABSENT_AFTER for w in state.waiters.values()), default=None)
