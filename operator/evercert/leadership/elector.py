"""The elector: holds this member's fair share of the shard Leases, renews them, lets go on time."""

from __future__ import annotations

import asyncio
import datetime
import inspect
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable

from ..core.clock import Clock
from . import policy, shards
from .leases import LeaseStore
from .policy import Lease, Timing

log = logging.getLogger(__name__)

# on_lost may return an awaitable: the work on those shards ending (a released Lease waits for it).
Listener = Callable[[frozenset[int]], object]


async def within(sleep: Callable[[float], Awaitable[object]], seconds: float, work: Awaitable[None]) -> None:
    """Await `work`, cancelled after `seconds` of `sleep` (the injected one: tests move a manual clock)."""
    task, timer = asyncio.ensure_future(work), asyncio.ensure_future(sleep(seconds))
    try:
        await asyncio.wait({task, timer}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        task.cancel()  # no-op when it finished
        timer.cancel()
        await asyncio.gather(task, timer, return_exceptions=True)
    if task.cancelled():
        raise TimeoutError(f"not done within {seconds:.1f} s")
    task.result()


class Elector:
    """One member of a set of replicas sharing `count` shard Leases (count 1: leader election)."""

    def __init__(
        self,
        store: LeaseStore,
        identity: str,
        clock: Clock,
        count: int = 1,
        timing: Timing | None = None,
        prefix: str = shards.PREFIX,
        on_gained: Listener = lambda _shards: None,
        on_lost: Listener = lambda _shards: None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if count < 1:
            raise ValueError(f"need at least one shard, got {count}")
        self.identity, self.count, self.timing = identity, count, timing or Timing()
        self._store, self._clock, self._prefix, self._sleep = store, clock, prefix, sleep
        self._on_gained, self._on_lost = on_gained, on_lost
        self._renewed_at: dict[int, datetime.datetime] = {}  # my clock just before each last renewal
        self._written: dict[int, Lease] = {}  # what my last write of each held shard's Lease returned
        self._seen: dict[str, tuple[str, datetime.datetime]] = {}  # name -> (version, first seen at)
        self._member: Lease | None = None
        self._names = [shards.shard_lease_name(s, count, prefix) for s in range(count)]

    @property
    def held(self) -> frozenset[int]:
        """The shards this member may work on now (a renewal overdue counts as lost, loop or no loop)."""
        return frozenset(s for s in self._renewed_at if self.holds(s))

    def holds(self, shard: int) -> bool:
        renewed_at = self._renewed_at.get(shard)
        return renewed_at is not None and policy.still_holds(renewed_at, self._clock.now(), self.timing)

    def serves(self, namespace: str | None, name: str) -> bool:
        return self.holds(shards.shard_of(namespace, name, self.count))

    async def run(self) -> None:
        """Look and renew every retry period until cancelled; a failed look is logged and retried."""
        while True:
            self._expire_overdue()
            started = self._clock.now()
            try:
                await within(self._sleep, self._budget(started), self.step())
            except Exception as exc:  # the loop must outlive any failure; the deadline guards the shards
                log.warning("lease round failed", extra={"identity": self.identity, "error": repr(exc)})
            self._expire_overdue()
            now = self._clock.now()
            pause = self.timing.retry_period - (now - started).total_seconds()
            await self._sleep(max(min(pause, self._budget(now)), 0.0))

    async def step(self) -> None:
        """One round: read the set's Leases; release, renew and acquire shards; announce this member."""
        listed = {lease.name: lease for lease in await self._store.list()}
        now = self._clock.now()
        self._observe(listed, now)
        by_shard = {s: listed.get(self._names[s]) for s in range(self.count)}
        mine = {s for s, lease in by_shard.items() if lease and lease.spec.holder == self.identity}
        self._drop(set(self._renewed_at) - mine)  # the API says someone else holds it (or nobody)
        takeable = {s for s, lease in by_shard.items() if lease is None or self._may_take(lease, now)}
        quota = shards.fair_share(self.identity, self._holdings(listed.values(), now), self.count)
        held = set(self._renewed_at)
        plan = shards.plan(self.identity, self.count, quota, mine, takeable, held=held)
        for shard in sorted(plan.release):
            await self._release(shard, by_shard[shard])
        gained = set()
        for shard in [*sorted(plan.renew), *plan.acquire]:
            if await self._write(shard, by_shard[shard]) and shard not in held:
                gained.add(shard)  # newly taken, or found still ours after an answer was lost
        if gained:
            log.info("shards gained", extra={"identity": self.identity, "shards": sorted(gained)})
            self._on_gained(frozenset(gained))
        # After the shards: this member's own Lease only counts it in the others' fair shares.
        await self._announce(listed.get(shards.member_lease_name(self.identity, self._prefix)))
        await self._sweep(listed.values(), now)

    async def release(self) -> None:
        """Stop work on every shard, then free their Leases (on SIGTERM): a standby takes them at once."""
        held = set(self._written)
        self._drop(set(self._renewed_at))
        try:
            async with asyncio.timeout(self.timing.renew_deadline):
                # Read them afresh: a renewal cut short by the stop may have moved their versions on.
                listed = {lease.name: lease for lease in await self._store.list()}
                for shard in sorted(held):
                    await self._release(shard, listed.get(self._names[shard]))
                member = listed.get(shards.member_lease_name(self.identity, self._prefix))
                if member is not None:
                    await self._store.delete(member.name, member.resource_version)
                self._member = None
        except Exception as exc:  # shutting down: the Leases expire anyway
            log.warning("lease release failed", extra={"identity": self.identity, "error": repr(exc)})

    def _observe(self, listed: dict[str, Lease], now: datetime.datetime) -> None:
        """Remember when each Lease version was first seen: expiry counts from there, on our clock."""
        self._seen = {
            name: self._seen[name]
            if name in self._seen and self._seen[name][0] == lease.resource_version
            else (lease.resource_version, now)
            for name, lease in listed.items()
        }

    def _may_take(self, lease: Lease, now: datetime.datetime) -> bool:
        return policy.may_take(lease.spec, self.identity, self._seen[lease.name][1], now)

    def _holdings(self, leases: Iterable[Lease], now: datetime.datetime) -> Counter[str]:
        """Shards held per live member: those holding a live member Lease or a live shard Lease."""
        holdings: Counter[str] = Counter()
        for lease in leases:
            if policy.is_free(lease.spec) or policy.is_expired(lease.spec, self._seen[lease.name][1], now):
                continue
            if lease.name not in self._names and policy.stale(lease.spec, now):
                # A member Lease only counts members for the fair share (it guards nothing): one whose
                # own renewTime is long past is a member gone, even if this member saw it only now.
                continue
            holdings.setdefault(lease.spec.holder, 0)
            # A shard Lease of another layout (another shard count) is not one of ours to count.
            if lease.name in self._names:
                holdings[lease.spec.holder] += 1
        return holdings

    async def _announce(self, current: Lease | None) -> None:
        """Renew this member's own Lease, so that the others count it in the fair share."""
        now = self._clock.now()
        name = shards.member_lease_name(self.identity, self._prefix)
        spec = policy.acquired(current.spec if current else None, self.identity, now, self.timing)
        labels = shards.labels(shards.ROLE_MEMBER, self._prefix)
        if current is None:
            self._member = await self._store.create(policy.lease_body(name, spec, labels))
        else:
            self._member = await self._store.replace(
                policy.lease_body(name, spec, labels, current.resource_version)
            )

    async def _write(self, shard: int, current: Lease | None) -> bool:
        """Acquire or renew; True when the API took the write (then the renew deadline restarts)."""
        started = self._clock.now()
        spec = policy.acquired(current.spec if current else None, self.identity, started, self.timing)
        labels = shards.labels(shards.ROLE_SHARD, self._prefix)
        if current is None:
            written = await self._store.create(policy.lease_body(self._names[shard], spec, labels))
        else:
            body = policy.lease_body(self._names[shard], spec, labels, current.resource_version)
            written = await self._store.replace(body)
        if written is None:
            self._drop({shard})  # someone else wrote it since we read it
            return False
        self._renewed_at[shard] = started
        self._written[shard] = written
        return True

    async def _release(self, shard: int, current: Lease | None) -> None:
        """Stop work first and wait until it has ended, then write the Lease free (whoever takes it
        next may start at once). A renewal cut short may have moved its version on: then read it
        once more (if it fails again, the Lease just expires)."""
        stopping = self._drop({shard})
        if inspect.isawaitable(stopping):
            await stopping
        for attempt in range(2):
            if current is None or current.spec.holder != self.identity:
                return
            spec = policy.released(current.spec, self._clock.now())
            labels = shards.labels(shards.ROLE_SHARD, self._prefix)
            body = policy.lease_body(current.name, spec, labels, current.resource_version)
            if await self._store.replace(body) is not None or attempt:
                return
            current = next((lease for lease in await self._store.list() if lease.name == current.name), None)

    async def _sweep(self, leases: Iterable[Lease], now: datetime.datetime) -> None:
        """Delete member Leases expired for a whole further duration (their members are gone)."""
        grace = datetime.timedelta(seconds=self.timing.lease_duration)
        for lease in leases:
            member = lease.labels.get(shards.LABEL_ROLE) == shards.ROLE_MEMBER
            if not member or lease.spec.holder == self.identity:
                continue
            if now >= policy.expires_at(lease.spec, self._seen[lease.name][1]) + grace:
                await self._store.delete(lease.name, lease.resource_version)

    def _expire_overdue(self) -> None:
        self._drop(set(self._renewed_at) - self.held)

    def _drop(self, lost: set[int]) -> object:
        """Forget the shards and tell on_lost; returns what it returned."""
        lost &= set(self._renewed_at)
        for shard in lost:
            del self._renewed_at[shard]
            self._written.pop(shard, None)
        if not lost:
            return None
        log.info("shards lost", extra={"identity": self.identity, "shards": sorted(lost)})
        return self._on_lost(frozenset(lost))

    def _budget(self, now: datetime.datetime) -> float:
        """Seconds a round may take: never past the earliest renew deadline of a held shard."""
        deadlines = [policy.holding_until(at, self.timing) for at in self._renewed_at.values()]
        earliest = min(deadlines, default=now + datetime.timedelta(seconds=self.timing.renew_deadline))
        return max((earliest - now).total_seconds(), 0.0)
