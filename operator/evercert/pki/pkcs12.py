"""PKCS#12 keystores and truststores in cert-manager's three profiles, with `cryptography`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from evercert.pki.keys import PrivateKey

Pkcs12Profile = Literal["LegacyRC2", "LegacyDES", "Modern2023"]
FRIENDLY_NAME = b"certificate"  # the key entry's alias, as keytool lists it
KDF_ROUNDS = 2048  # what go-pkcs12 (cert-manager) uses for every profile


def _encryption(profile: Pkcs12Profile, password: str) -> serialization.KeySerializationEncryption:
    """LegacyRC2 is written as LegacyDES: RC2-40 is broken, OpenSSL 3 reads it only with its legacy
    provider, and every reader of LegacyRC2 files (Java 8 and later) reads 3DES too."""
    builder = serialization.PrivateFormat.PKCS12.encryption_builder().kdf_rounds(KDF_ROUNDS)
    if profile == "Modern2023":
        builder = builder.key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC).hmac_hash(hashes.SHA256())
    else:
        builder = builder.key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC).hmac_hash(
            hashes.SHA1()
        )
    return builder.build(password.encode())


def keystore_p12(
    key: PrivateKey, chain: Sequence[x509.Certificate], password: str, profile: Pkcs12Profile
) -> bytes:
    """keystore.p12: the key with its leaf, and the rest of the chain."""
    return pkcs12.serialize_key_and_certificates(
        FRIENDLY_NAME, key, chain[0], list(chain[1:]) or None, _encryption(profile, password)
    )


def truststore_p12(ca: x509.Certificate, password: str, profile: Pkcs12Profile) -> bytes:
    """truststore.p12: the CA certificate alone, as a trusted entry."""
    trusted = pkcs12.PKCS12Certificate(ca, b"ca")
    return pkcs12.serialize_java_truststore([trusted], _encryption(profile, password))
