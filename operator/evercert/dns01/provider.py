# operator/evercert/dns01/provider.py
"""One small interface every DNS-01 provider implements: put one TXT value in place, take it away."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class TxtRecord:
    fqdn: str  # absolute record name, after cnameStrategy Follow: "_acme-challenge.www.dns01.test."
    zone: str  # absolute apex of the zone that holds fqdn, found by SOA: "dns01.test."
    value: str  # the TXT value (base64url SHA-256 of the key authorization)
    dns_name: str  # the identifier being validated, without "*.": "www.dns01.test"
    namespace: str  # where the solver's Secret references resolve (Certificate's ns, or the
    # cluster-resource namespace for a ClusterIssuer)


class DnsProvider(Protocol):
    async def present(self, record: TxtRecord) -> None:
        """Add this value (idempotent); other values of the same name stay."""

    async def clean_up(self, record: TxtRecord) -> None:
        """Remove only this value (idempotent: absent is fine)."""
