"""RFC 2136 DNS UPDATE signed with TSIG (BIND, Knot, PowerDNS, Windows DNS, ...): add or delete TXT values,
all the values of one zone in one message."""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import socket
from collections.abc import Sequence

import dns.asyncquery
import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.tsig
import dns.tsigkeyring
import dns.update

from ..core.errors import Dns01ProviderError
from .provider import TxtRecord

TTL = 60
TIMEOUT = 10.0
ALGORITHMS = {
    "HMACMD5": dns.tsig.HMAC_MD5,
    "HMACSHA1": dns.tsig.HMAC_SHA1,
    "HMACSHA224": dns.tsig.HMAC_SHA224,
    "HMACSHA256": dns.tsig.HMAC_SHA256,
    "HMACSHA384": dns.tsig.HMAC_SHA384,
    "HMACSHA512": dns.tsig.HMAC_SHA512,
}
_RCODE_TEXT = {
    dns.rcode.REFUSED: "the server refused the update (REFUSED): its allow-update or update-policy does "
    "not let this key change the name",
    dns.rcode.NOTAUTH: "the server is not authoritative for the zone, or refused the TSIG key (NOTAUTH)",
    dns.rcode.NOTZONE: "the name is not inside the zone of the update (NOTZONE)",
    dns.rcode.SERVFAIL: "the server failed to apply the update (SERVFAIL)",
}


class Rfc2136:
    """A DNS server taking signed updates; the TSIG secret is the base64 text of the key."""

    def __init__(
        self,
        host: str,
        port: int = 53,
        key_name: str | None = None,
        secret: str | None = None,
        algorithm: str = "HMACMD5",
        timeout: float = TIMEOUT,
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.key_name = key_name
        self.algorithm = ALGORITHMS[algorithm]
        self.keyring = None
        if key_name and secret is not None:
            try:
                self.keyring = dns.tsigkeyring.from_text({key_name: secret.strip()})
            except Exception:  # the secret is never echoed
                raise Dns01ProviderError(
                    f"the TSIG secret of key {key_name!r} is not base64 (as tsig-keygen writes it)"
                ) from None
        self.updates_sent = 0

    async def present(self, record: TxtRecord) -> None:
        await self.present_all([record])

    async def clean_up(self, record: TxtRecord) -> None:
        await self.clean_up_all([record])

    async def present_all(self, records: Sequence[TxtRecord]) -> None:
        """Add every value (one UPDATE per zone); values already there stay, as do other values."""
        await self._update(records, add=True)

    async def clean_up_all(self, records: Sequence[TxtRecord]) -> None:
        """Delete exactly these values (one UPDATE per zone); absent values are fine."""
        await self._update(records, add=False)

    async def _update(self, records: Sequence[TxtRecord], add: bool) -> None:
        def zone_of(record: TxtRecord) -> str:
            return record.zone

        failures: list[Dns01ProviderError] = []
        for zone, in_zone in itertools.groupby(sorted(records, key=zone_of), key=zone_of):
            message = dns.update.UpdateMessage(
                zone,
                keyring=self.keyring,
                keyname=dns.name.from_text(self.key_name) if self.keyring else None,
                keyalgorithm=self.algorithm,
            )
            for record in in_zone:
                if add:
                    message.add(record.fqdn, TTL, "TXT", _quoted(record.value))
                else:
                    message.delete(record.fqdn, "TXT", _quoted(record.value))
            try:
                await self._send(message, zone)
            except Dns01ProviderError as exc:  # the other zones are still worth their update
                failures.append(exc)
        if failures:
            raise failures[0]

    async def _send(self, message: dns.update.UpdateMessage, zone: str) -> None:
        where = f"{self.host}:{self.port}"
        try:
            address = await _address(self.host)
            self.updates_sent += 1
            response = await dns.asyncquery.tcp(message, address, timeout=self.timeout, port=self.port)
        except dns.tsig.PeerBadKey:
            raise Dns01ProviderError(
                f"DNS UPDATE of zone {zone} at {where}: the server does not know TSIG key {self.key_name!r} "
                "(BADKEY): check tsigKeyName and tsigAlgorithm"
            ) from None
        except dns.tsig.PeerBadSignature:
            raise Dns01ProviderError(
                f"DNS UPDATE of zone {zone} at {where}: the server refused the TSIG signature of key "
                f"{self.key_name!r} (BADSIG): the secret in tsigSecretSecretRef is not the server's"
            ) from None
        except dns.tsig.PeerBadTime:
            raise Dns01ProviderError(
                f"DNS UPDATE of zone {zone} at {where}: the TSIG time is off (BADTIME): the clocks differ"
            ) from None
        except (dns.exception.DNSException, OSError, EOFError) as exc:
            # The server is away (timeout, refused or closed connection): the order in flight is kept.
            raise Dns01ProviderError(
                f"DNS UPDATE of zone {zone} at {where} failed: {type(exc).__name__}: {exc}", transient=True
            ) from None
        rcode = response.rcode()
        if rcode != dns.rcode.NOERROR:
            text = _RCODE_TEXT.get(rcode, f"the server answered {dns.rcode.to_text(rcode)}")
            raise Dns01ProviderError(f"DNS UPDATE of zone {zone} at {where}: {text}")


def _quoted(value: str) -> str:
    return f'"{value}"'


async def _address(host: str) -> str:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
        return str(infos[0][4][0])
    return host
