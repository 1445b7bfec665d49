"""The challenge phase of one issuance: pick each pending authorization's solver, present every
challenge at once (HTTP-01 solver objects; DNS-01 TXT values, recorded in status before they are sent),
wait until each is visible (routes answer; every authoritative nameserver serves the value), answer the
challenges and wait for the CA's verdict."""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import faults
from ..acme import order as acme_order
from ..api.certificate import CertificateSpec
from ..api.dns01 import Dns01Solver
from ..api.issuer import IssuerSpec
from ..core.errors import EvercertError
from ..dns01 import presenting as dns_presenting
from ..dns01.propagation import Lacking
from ..issuers.session import AcmeSession
from ..kube.client import Kube
from ..solver import presenting
from .solver_choice import Choice, choose_for_names, choose_solver
from .status import DnsRecord, dns_records_field

log = logging.getLogger(__name__)
StatusWriter = Callable[[Mapping[str, Any]], Awaitable[None]]
# The status patch (conditions) that says what DNS-01 still waits for, given the message.
WaitingPatch = Callable[[str], Mapping[str, Any]]


@dataclass
class Dns01Records:
    """The DNS-01 values of this Certificate that are (or may be) in place: those left by an earlier
    attempt and those presented now. Every one is in status before its update is sent."""

    context: dns_presenting.Dns01Context
    write_status: StatusWriter
    records: list[DnsRecord] = field(default_factory=list)

    async def record(self, records: Sequence[DnsRecord]) -> None:
        known = {record.key for record in self.records}
        self.records += [record for record in records if record.key not in known]
        await self.write_status(dns_records_field(self.records))

    async def clean_up(self) -> None:
        """Remove every recorded value (the status list goes with the order when the attempt ends).

        A value that cannot be removed is logged, not raised: the attempt's own outcome is what counts."""
        if not self.records:
            return
        try:
            await dns_presenting.clean_up(self.context, self.records)
        except EvercertError as exc:
            log.warning("DNS-01 values not removed", extra={"error": exc.message})


def dns01_solvers(issuer: IssuerSpec) -> dict[int, Dns01Solver]:
    return {i: solver for i, solver in enumerate(issuer.solvers) if isinstance(solver, Dns01Solver)}


async def authorize(
    kube: Kube,
    session: AcmeSession,
    spec: CertificateSpec,
    order: acme_order.OrderSnapshot,
    deadline: datetime.datetime,
    dns: Dns01Records,
    self_check_address: str | None,
    solver_image: str,
    waiting: WaitingPatch | None = None,
) -> None:
    """Solve every pending challenge of the order, all names at once."""
    if order.status != "pending":
        return
    client = await session.client()
    blocking = session.blocking
    issuer = session.issuer
    pending = await blocking(acme_order.pending_authorizations, client, order)
    chosen = [(authz, _choice(issuer, spec, authz)) for authz in pending]
    tasks = [(acme_order.challenge_task(client, authz, c.challenge_type), c) for authz, c in chosen]
    http_requests = [
        presenting.solver_request(spec, choice.solver, task, solver_image)  # type: ignore[arg-type]
        for task, choice in tasks
        if isinstance(task, acme_order.Http01Task)
    ]
    records = [
        await _dns_record(dns.context, task, choice)
        for task, choice in tasks
        if isinstance(task, acme_order.Dns01Task)
    ]
    if records:
        await dns.record(records)
        await dns_presenting.present(dns.context, records)
    await presenting.present(kube, http_requests)
    faults.checkpoint("solvers-created")
    timeout = max(1.0, (deadline - dns.context.clock.now()).total_seconds())
    await asyncio.gather(
        presenting.check_routes(http_requests, self_check_address, timeout),
        _served(dns, records, deadline, waiting),
    )
    for task, _ in tasks:
        await blocking(acme_order.answer_challenge, client, task)
    faults.checkpoint("challenge-answered")
    await blocking(acme_order.wait_for_authorizations, client, order, deadline)


def _choice(issuer: IssuerSpec, spec: CertificateSpec, authz: acme_order.PendingAuthorization) -> Choice:
    choice = choose_solver(issuer.solvers, authz.name, spec.labels, tuple(authz.challenges))
    if choice is None:  # the CA offers no challenge type a matching solver has: say which
        return choose_for_names(issuer.solvers, [authz.name], spec.labels)[authz.name]
    return choice


async def _dns_record(
    context: dns_presenting.Dns01Context, task: acme_order.Dns01Task, choice: Choice
) -> DnsRecord:
    assert isinstance(choice.solver, Dns01Solver)
    lookups = context.lookups_for(choice.index)
    fqdn, zone = await dns_presenting.locate(lookups, task.dns_name, choice.solver)
    name = f"*.{task.dns_name}" if task.wildcard else task.dns_name
    return DnsRecord(fqdn, zone, task.value, name, choice.index)


async def _served(
    dns: Dns01Records, records: Sequence[DnsRecord], deadline: datetime.datetime, waiting: WaitingPatch | None
) -> None:
    if not records:
        return

    async def report(lacking: Sequence[Lacking]) -> None:
        first = lacking[0]
        message = f"waiting for DNS-01: {first.fqdn} TXT not yet served by {first.server} ({first.seen})" + (
            f", and {len(lacking) - 1} more" if len(lacking) > 1 else ""
        )
        dns.records = dns_presenting.with_seen(dns.records, lacking)
        patch = dict(dns_records_field(dns.records))
        if waiting is not None:
            patch |= waiting(message)
        await dns.write_status(patch)

    await dns_presenting.wait_until_served(dns.context, records, deadline, report)
