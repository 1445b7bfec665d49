"""Read certificates and chains: what they say, whether they match a key, names, and a trust root."""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from evercert.pki.keys import load_private_key_pem

_CURVE_NAMES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    """The facts about one certificate that renewal and status reporting need."""

    serial_hex: str
    not_before: datetime
    not_after: datetime
    dns_names: tuple[str, ...]
    common_name: str | None
    issuer_common_name: str | None
    ip_addresses: tuple[str, ...] = ()


def parse_pem_chain(pem: bytes) -> list[x509.Certificate]:
    """Parse concatenated PEM certificates, leaf first; ValueError when there are none."""
    try:
        return x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise ValueError("no PEM certificates found") from None


def certificate_info(cert: x509.Certificate) -> CertificateInfo:
    """Summarise a certificate; times are timezone-aware UTC, the serial lowercase hex."""
    return CertificateInfo(
        serial_hex=format(cert.serial_number, "x"),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        dns_names=_sans(cert, x509.DNSName),
        common_name=_common_name(cert.subject),
        issuer_common_name=_shared(_common_name(cert.issuer)),  # the same few CAs for every certificate
        ip_addresses=tuple(str(address) for address in _sans(cert, x509.IPAddress)),
    )


def key_matches_certificate(key_pem: bytes, cert_pem: bytes) -> bool:
    """True when the private key belongs to the chain's leaf; False on anything unparsable."""
    try:
        key = load_private_key_pem(key_pem, check=False)  # only its public half is compared
        leaf = parse_pem_chain(cert_pem)[0]
    except ValueError:
        return False
    return key.public_key() == leaf.public_key()


def covers_names(info: CertificateInfo, dns_names: Iterable[str], ip_addresses: Iterable[str] = ()) -> bool:
    """True when the certificate's SANs are exactly the requested DNS names (ignoring order and case)
    and IP addresses (compared as addresses, so 2001:db8::1 equals 2001:DB8:0::1)."""
    return {name.lower() for name in info.dns_names} == {name.lower() for name in dns_names} and {
        ipaddress.ip_address(address) for address in info.ip_addresses
    } == {ipaddress.ip_address(address) for address in ip_addresses}


def chain_verifies(chain_pem: bytes, roots_pem: bytes, dns_name: str, at: datetime | None = None) -> bool:
    """True when the chain (leaf first) builds to one of the roots and is valid for dns_name at `at`."""
    try:
        leaf, *intermediates = parse_pem_chain(chain_pem)
        verifier = (
            PolicyBuilder()
            .store(Store(parse_pem_chain(roots_pem)))
            .time(at or datetime.now(UTC))
            .build_server_verifier(x509.DNSName(dns_name))
        )
        verifier.verify(leaf, intermediates)
    except (ValueError, VerificationError):
        return False
    return True


def signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True when `issuer` is the certificate's named issuer and its key made the signature."""
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def public_key_type(cert: x509.Certificate) -> str:
    """The certificate's key as people name it: "RSA 2048", "ECDSA P-256", "Ed25519"."""
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA {key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"ECDSA {_CURVE_NAMES.get(key.curve.name, key.curve.name)}"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448"
    return type(key).__name__


def split_chain(pem: bytes) -> tuple[bytes, bytes]:
    """Split a PEM chain into the leaf and the rest (empty bytes when the leaf stands alone)."""
    leaf, *rest = parse_pem_chain(pem)
    return _to_pem(leaf), b"".join(_to_pem(cert) for cert in rest)


def _sans(cert: x509.Certificate, kind: type[x509.DNSName] | type[x509.IPAddress]) -> tuple[Any, ...]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ()
    return tuple(san.get_values_for_type(kind))


def _common_name(name: x509.Name) -> str | None:
    attributes = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not attributes:
        return None
    value = attributes[0].value
    return value if isinstance(value, str) else value.decode()


def _to_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _shared(text: str | None) -> str | None:
    return sys.intern(text) if text is not None else None
