"""DNS-01 for one issuance: the TXT record of each challenge (the CNAME followed when asked, the zone
found by SOA), presented through its solver's provider in one batch per solver, checked at every
authoritative nameserver, and removed again."""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol, runtime_checkable

from ..api.dns01 import Dns01Solver
from ..certificates.status import DnsRecord
from ..core.clock import Clock
from ..core.errors import Dns01ProviderError
from ..kube.client import Kube
from . import propagation
from .lookups import Lookups, Nameserver
from .provider import DnsProvider, TxtRecord
from .providers import SecretReader, build_provider

log = logging.getLogger(__name__)
PREFIX = "_acme-challenge."


@runtime_checkable
class BatchProvider(Protocol):
    """A provider that sends many values in one request (rfc2136: one UPDATE message per zone)."""

    async def present_all(self, records: Sequence[TxtRecord]) -> None: ...

    async def clean_up_all(self, records: Sequence[TxtRecord]) -> None: ...


@dataclass
class Dns01Context:
    """What DNS-01 needs: lookups, credentials (Secrets in `namespace`), the clock, the solvers by index."""

    lookups: Lookups
    read_secret: SecretReader
    namespace: str
    clock: Clock
    solvers: Mapping[int, Dns01Solver]
    kube: Kube | None = None
    _providers: dict[int, DnsProvider] = field(default_factory=dict)

    def lookups_for(self, index: int) -> Lookups:
        """The lookups of solver `index`: through its own `nameservers` when it names some."""
        solver = self.solvers.get(index)
        if solver is None or not solver.nameservers:
            return self.lookups
        return Lookups(solver.nameservers, self.lookups.authoritative_port, self.lookups.timeout)

    async def provider(self, index: int) -> DnsProvider:
        if index not in self._providers:
            solver = self.solvers.get(index)
            if solver is None:
                raise Dns01ProviderError(
                    f"the issuer has no DNS-01 solver at spec.acme.solvers[{index}] any more"
                )
            self._providers[index] = await build_provider(solver, self.namespace, self.read_secret, self.kube)
        return self._providers[index]


async def locate(lookups: Lookups, dns_name: str, solver: Dns01Solver) -> tuple[str, str]:
    """(fqdn, zone) of the TXT record that validates `dns_name` (without "*.")."""
    fqdn = f"{PREFIX}{dns_name}."
    if solver.cname_strategy == "Follow":
        fqdn = await lookups.follow_cnames(fqdn)
    return fqdn, await lookups.zone_of(fqdn)


def txt_record(record: DnsRecord, namespace: str) -> TxtRecord:
    return TxtRecord(record.fqdn, record.zone, record.value, record.dns_name.removeprefix("*."), namespace)


async def present(context: Dns01Context, records: Sequence[DnsRecord]) -> None:
    """Put every value in place: one batch per solver (one request each where the provider batches)."""
    await _by_solver(context, records, add=True)


async def clean_up(context: Dns01Context, records: Sequence[DnsRecord]) -> None:
    """Remove exactly these values; absent ones are fine."""
    await _by_solver(context, records, add=False)


async def _by_solver(context: Dns01Context, records: Sequence[DnsRecord], add: bool) -> None:
    """Each solver's values through its provider; a failing solver does not stop the others."""
    failures: list[Dns01ProviderError] = []
    for index in sorted({record.solver for record in records}):
        values = [txt_record(r, context.namespace) for r in _unique(r for r in records if r.solver == index)]
        try:
            await _send(await context.provider(index), values, add)
        except Dns01ProviderError as exc:
            failures.append(exc)
    if failures:
        raise failures[0]


async def _send(provider: DnsProvider, values: Sequence[TxtRecord], add: bool) -> None:
    if isinstance(provider, BatchProvider):
        await (provider.present_all(values) if add else provider.clean_up_all(values))
        return
    for value in values:
        await (provider.present(value) if add else provider.clean_up(value))


def _unique(records: Iterable[DnsRecord]) -> list[DnsRecord]:
    seen: dict[tuple[str, str], DnsRecord] = {}
    for record in records:
        seen.setdefault((record.fqdn, record.value), record)
    return list(seen.values())


async def wait_until_served(
    context: Dns01Context,
    records: Sequence[DnsRecord],
    deadline: datetime.datetime,
    report: Callable[[Sequence[propagation.Lacking]], Awaitable[None]],
) -> None:
    """Return when every authoritative nameserver of each record's zone serves its value."""
    zones = sorted({(record.zone, record.solver) for record in records})
    servers = await asyncio.gather(
        *(context.lookups_for(solver).authoritative_servers(zone) for zone, solver in zones)
    )
    by_zone: dict[tuple[str, int], Sequence[Nameserver]] = dict(zip(zones, servers, strict=True))
    checks = [(r.fqdn, r.value, by_zone[(r.zone, r.solver)]) for r in _unique(records)]
    await propagation.wait_until_served(checks, context.clock, deadline, report)


def with_seen(records: Sequence[DnsRecord], lacking: Sequence[propagation.Lacking]) -> list[DnsRecord]:
    """The records with what the last check saw where a value is still missing (None where it is served)."""
    seen: dict[tuple[str, str], list[str]] = {}
    for item in lacking:
        seen.setdefault((item.fqdn, item.value), []).append(f"{item.server}: {item.seen}")
    return [replace(r, seen="; ".join(seen.get((r.fqdn, r.value), [])) or None) for r in records]
