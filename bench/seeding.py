"""The steady state of many Ready Certificates, written directly instead of issued through Pebble.

Each Certificate gets what the operator itself would have written after issuing it: a tls Secret built
by the operator's `build_tls_secret` around a certificate for its names (signed by a local CA), and a
status from the operator's `transitions.ready` on the look at that Secret, with a renewal-information
record whose next check lies ahead (so no ARI request is due) and revision 1. An operator started
afterwards must find every one up to date on its own: no order, no status write."""

from __future__ import annotations

import dataclasses
import datetime
import time
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from kubernetes_asyncio import client

from evercert.api.certificate import parse_certificate
from evercert.certificates import transitions
from evercert.certificates.look import look_at_issued
from evercert.certificates.renewal_info import RECHECK
from evercert.certificates.status import REVISION, RenewalInfo, parse_status
from evercert.certificates.tls_secret import build_tls_secret, read_contents
from evercert_devenv.certs import LocalCA
from workload import GROUP, ISSUER, PLURAL, VERSION, bounded, certificate

MERGE_PATCH = "application/merge-patch+json"
ISSUER_KIND = "ClusterIssuer"
# Certificates written at once (each is three requests: the Certificate, its Secret, its status).
CONCURRENCY = 48


@dataclasses.dataclass
class Seeder:
    """Writes Ready Certificates with their Secrets. One RSA key serves every leaf: generating 10,000
    keys would take minutes, and the operator only checks that key and certificate belong together."""

    api: client.ApiClient
    ca: LocalCA = dataclasses.field(default_factory=LocalCA)
    key: rsa.RSAPrivateKey = dataclasses.field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    written: int = 0

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    async def seed(
        self, namespace: str, names: list[str], progress: Callable[[int], None] | None = None
    ) -> None:
        key_pem = self.key_pem
        custom, core = client.CustomObjectsApi(self.api), client.CoreV1Api(self.api)

        async def one(name: str) -> None:
            created = await custom.create_namespaced_custom_object(
                GROUP, VERSION, namespace, PLURAL, certificate(namespace, name)
            )
            secret, status = self.steady_state(created, key_pem)
            await core.create_namespaced_secret(namespace, secret)
            await custom.patch_namespaced_custom_object_status(
                GROUP, VERSION, namespace, PLURAL, name, {"status": status}, _content_type=MERGE_PATCH
            )
            self.written += 1
            if progress is not None and self.written % 1000 == 0:
                progress(self.written)

        await bounded((one(n) for n in names), CONCURRENCY)

    def steady_state(self, body: dict[str, Any], key_pem: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the tls Secret, the status) the operator would have written for this Certificate."""
        spec = parse_certificate(body)
        leaf = self.ca.sign(self.key.public_key(), spec.dns_names[0], hosts=tuple(spec.dns_names))
        secret = build_tls_secret(
            spec,
            issuer_name=ISSUER,
            issuer_kind=ISSUER_KIND,
            chain_pem=leaf + self.ca.cert_pem,
            key_pem=key_pem,
            existing=None,
            owner_reference=None,
        )
        served = read_contents(secret)
        assert served.info is not None
        now = datetime.datetime.now(datetime.UTC)
        record = RenewalInfo(served.info.serial_hex, now + RECHECK)
        look = dataclasses.replace(look_at_issued(spec, served), renewal_info=record)
        assert look.reason is None, look.reason
        status = transitions.ready(parse_status(None), look, now).patch
        return secret, {**status, REVISION: 1}


def seeded_names(start: int, count: int) -> list[str]:
    return [f"s{i:05d}" for i in range(start, start + count)]


def rate(count: int, began: float) -> str:
    return f"{count / max(time.monotonic() - began, 0.001):.0f}/s"
