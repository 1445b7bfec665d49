"""Shared unit-test helpers: a self-made CA that issues web-PKI-shaped certificates."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from evercert.pki.keys import PrivateKey

CA_NOT_BEFORE = datetime(2020, 1, 1, tzinfo=UTC)
CA_NOT_AFTER = datetime(2040, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SelfMadeCA:
    """A CA key and certificate; a root when it signed itself, else an intermediate."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


def _make_ca(common_name: str = "evercert test root", parent: SelfMadeCA | None = None) -> SelfMadeCA:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (
        _builder(subject, parent.cert.subject if parent else subject, key, CA_NOT_BEFORE, CA_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
    )
    if parent:
        builder = builder.add_extension(_authority_key_id(parent), critical=False)
    return SelfMadeCA(key, builder.sign(parent.key if parent else key, hashes.SHA256()))


def _issue_leaf(
    ca: SelfMadeCA,
    key: PrivateKey,
    names: Sequence[str],
    not_before: datetime,
    not_after: datetime,
    common_name: str | None = None,
) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)] if common_name else [])
    builder = (
        _builder(subject, ca.cert.subject, key, not_before, not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(_authority_key_id(ca), critical=False)
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(name) for name in names]), critical=not common_name
        )
    )
    return builder.sign(ca.key, hashes.SHA256())


def _builder(
    subject: x509.Name, issuer: x509.Name, key: PrivateKey, not_before: datetime, not_after: datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )


def _authority_key_id(ca: SelfMadeCA) -> x509.AuthorityKeyIdentifier:
    ski = ca.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def _key_usage(**granted: bool) -> x509.KeyUsage:
    usages = (
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    )
    return x509.KeyUsage(**{usage: granted.get(usage, False) for usage in usages})


@pytest.fixture
def make_ca() -> Callable[..., SelfMadeCA]:
    """make_ca(common_name=..., parent=None): a root, or an intermediate signed by `parent`."""
    return _make_ca


@pytest.fixture
def issue_leaf() -> Callable[..., x509.Certificate]:
    """issue_leaf(ca, key, names, not_before, not_after, common_name=None): a TLS server certificate."""
    return _issue_leaf
