"""The propagation check: every authoritative nameserver of the zone serves the TXT value, asked directly
(no recursion, no cache), polled with a growing pause until the deadline."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype

from ..core.clock import Clock
from ..core.errors import Dns01PropagationFailed
from .lookups import Nameserver

FIRST_PAUSE = 0.05
PAUSE_GROWTH = 1.6
MAX_PAUSE = 2.0
QUERY_TIMEOUT = 2.0


@dataclass(frozen=True)
class Lacking:
    """A nameserver that does not serve a value yet, and what it answered."""

    fqdn: str
    value: str
    server: Nameserver
    seen: str

    def __str__(self) -> str:
        return f"{self.fqdn} TXT not yet served by {self.server}: {self.seen}"


async def txt_values(fqdn: str, server: Nameserver, timeout: float = QUERY_TIMEOUT) -> tuple[set[str], str]:
    """The TXT values `server` itself holds for `fqdn` (asked without recursion), and a short account."""
    query = dns.message.make_query(fqdn, dns.rdatatype.TXT)
    query.flags &= ~dns.flags.RD
    try:
        response, _ = await dns.asyncquery.udp_with_fallback(query, server.address, timeout, server.port)
    except (dns.exception.DNSException, OSError, EOFError) as exc:
        return set(), f"no answer ({type(exc).__name__}: {exc})"
    if response.rcode() != dns.rcode.NOERROR:
        return set(), dns.rcode.to_text(response.rcode())
    values = {
        b"".join(record.strings).decode(errors="replace")
        for rrset in response.answer
        if rrset.rdtype == dns.rdatatype.TXT
        for record in rrset
    }
    return values, f"{len(values)} TXT value{'s' if len(values) != 1 else ''}, not this one"


async def lacking(
    records: Sequence[tuple[str, str, Sequence[Nameserver]]],
    ask: Callable[[str, Nameserver], Awaitable[tuple[set[str], str]]] = txt_values,
) -> list[Lacking]:
    """Which (fqdn, value) pairs some of their nameservers do not serve yet, all asked at once."""
    pairs = [(fqdn, value, server) for fqdn, value, servers in records for server in servers]
    answers = await asyncio.gather(*(ask(fqdn, server) for fqdn, _, server in pairs))
    return [
        Lacking(fqdn, value, server, seen)
        for (fqdn, value, server), (values, seen) in zip(pairs, answers, strict=True)
        if value not in values
    ]


async def wait_until_served(
    records: Sequence[tuple[str, str, Sequence[Nameserver]]],
    clock: Clock,
    deadline: datetime.datetime,
    report: Callable[[Sequence[Lacking]], Awaitable[None]],
    ask: Callable[[str, Nameserver], Awaitable[tuple[set[str], str]]] = txt_values,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Return once every server serves every value; `report` hears what is missing when that changes.

    Dns01PropagationFailed when the deadline comes first."""
    pause = FIRST_PAUSE
    reported: list[Lacking] | None = None
    while True:
        missing = await lacking(records, ask)
        if not missing:
            return
        if missing != reported:
            await report(missing)
            reported = missing
        remaining = (deadline - clock.now()).total_seconds()
        if remaining <= 0:
            raise Dns01PropagationFailed(
                "DNS-01 records not served in time: " + "; ".join(str(item) for item in missing)
            )
        await sleep(min(pause, remaining))
        pause = min(pause * PAUSE_GROWTH, MAX_PAUSE)
