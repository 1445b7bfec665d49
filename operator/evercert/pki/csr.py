"""Certificate signing requests for ACME finalisation."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from evercert.pki.keys import PrivateKey


def build_csr(
    key: PrivateKey, dns_names: Sequence[str], common_name: str | None, ip_addresses: Sequence[str] = ()
) -> bytes:
    """Return a PEM CSR signed with SHA-256 that names every DNS name and IP address as a subjectAltName."""
    if not dns_names and not ip_addresses:
        raise ValueError("a certificate signing request needs at least one DNS name or IP address")
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)] if common_name else [])
    san = x509.SubjectAlternativeName(
        [x509.DNSName(name) for name in dns_names]
        + [x509.IPAddress(ipaddress.ip_address(address)) for address in ip_addresses]
    )
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(subject)
        # RFC 5280 4.2.1.6: with an empty subject the SAN extension must be critical.
        .add_extension(san, critical=common_name is None)
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM)
