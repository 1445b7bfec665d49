"""The DNS questions DNS-01 asks before and after presenting a record: where a name's CNAMEs lead, which
zone holds it (SOA, walking up), and the addresses of the zone's authoritative nameservers.

Asked of the operator's recursive nameservers (`EVERCERT_DNS01_NAMESERVERS`, else the system's); the
propagation check then asks the authoritative servers themselves (propagation.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import dns.asyncresolver
import dns.exception
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver

from ..core.errors import Dns01ZoneNotFound
from .addresses import address_and_port

MAX_CNAMES = 10


@dataclass(frozen=True)
class Nameserver:
    """One authoritative server of a zone: its name (for messages) and where to ask it."""

    name: str
    address: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{self.name} ({host}:{self.port})"


class Lookups:
    """Recursive lookups through the given nameservers ("host:port" or "host"; none: the system's)."""

    def __init__(
        self, nameservers: Sequence[str] = (), authoritative_port: int = 53, timeout: float = 5.0
    ) -> None:
        self.nameservers = tuple(nameservers)
        self.authoritative_port = authoritative_port
        self.timeout = timeout

    def resolver(self) -> dns.asyncresolver.Resolver:
        if not self.nameservers:
            resolver = dns.asyncresolver.Resolver()
        else:
            resolver = dns.asyncresolver.Resolver(configure=False)
            resolver.nameservers = [_do53(server) for server in self.nameservers]
        resolver.lifetime = self.timeout
        return resolver

    async def follow_cnames(self, fqdn: str) -> str:
        """Where `fqdn`'s CNAME chain ends (`fqdn` itself without a CNAME), absolute."""
        resolver = self.resolver()
        name = _absolute(fqdn)
        for _ in range(MAX_CNAMES):
            try:
                answer = await resolver.resolve(name, dns.rdatatype.CNAME)
            except (dns.resolver.NoAnswer, dns.resolver.NXDOMAIN):
                return name
            except dns.exception.DNSException as exc:
                raise Dns01ZoneNotFound(f"cannot follow the CNAME of {name}: {_text(exc)}") from None
            name = answer[0].target.to_text()
        raise Dns01ZoneNotFound(f"{fqdn}: more than {MAX_CNAMES} CNAMEs in a row")

    async def zone_of(self, fqdn: str) -> str:
        """The apex of the zone holding `fqdn` (the nearest name up with an SOA), absolute."""
        try:
            zone = await dns.asyncresolver.zone_for_name(
                fqdn, resolver=self.resolver(), lifetime=self.timeout
            )
        except dns.exception.DNSException as exc:
            raise Dns01ZoneNotFound(
                f"no DNS zone holds {_absolute(fqdn)}: no SOA record on the way up ({_text(exc)}); "
                f"asked {self._asked()}"
            ) from None
        if zone == dns.name.root:
            raise Dns01ZoneNotFound(f"no DNS zone holds {_absolute(fqdn)} (only the root has an SOA)")
        return zone.to_text()

    async def authoritative_servers(self, zone: str) -> list[Nameserver]:
        """Every address of every NS of `zone`; Dns01ZoneNotFound when there is none."""
        resolver = self.resolver()
        try:
            names = sorted(record.target.to_text() for record in await resolver.resolve(zone, "NS"))
        except dns.exception.DNSException as exc:
            raise Dns01ZoneNotFound(f"cannot find the nameservers of zone {zone}: {_text(exc)}") from None
        servers: list[Nameserver] = []
        for name in names:
            for address in await self._addresses(resolver, name):
                servers.append(Nameserver(name, address, self.authoritative_port))
        if not servers:
            raise Dns01ZoneNotFound(
                f"no address found for any nameserver of zone {zone} ({', '.join(names)})"
            )
        return servers

    async def _addresses(self, resolver: dns.asyncresolver.Resolver, name: str) -> list[str]:
        addresses: list[str] = []
        for rdtype in ("A", "AAAA"):
            try:
                addresses += [record.address for record in await resolver.resolve(name, rdtype)]
            except dns.exception.DNSException:
                continue
        return addresses

    def _asked(self) -> str:
        return ", ".join(self.nameservers) or "the system's nameservers"


def _do53(server: str) -> dns.nameserver.Do53Nameserver:
    return dns.nameserver.Do53Nameserver(*address_and_port(server))


def _absolute(name: str) -> str:
    return name if name.endswith(".") else name + "."


def _text(exc: dns.exception.DNSException) -> str:
    return str(exc) or type(exc).__name__
