"""The key and chain in the forms programs read: PKCS#1 or PKCS#8 PEM, DER, one PEM of key then chain."""

from __future__ import annotations

from typing import Literal

from cryptography.hazmat.primitives import serialization

from evercert.pki.keys import PrivateKey

KeyEncoding = Literal["PKCS1", "PKCS8"]

# PKCS1 means the key type's own structure: RSAPrivateKey for RSA, SEC 1's ECPrivateKey for ECDSA.
_FORMATS = {
    "PKCS1": serialization.PrivateFormat.TraditionalOpenSSL,
    "PKCS8": serialization.PrivateFormat.PKCS8,
}


def encode_private_key(key: PrivateKey, encoding: KeyEncoding, *, der: bool = False) -> bytes:
    """The unencrypted key in `encoding`, as PEM (tls.key) or DER (key.der)."""
    return key.private_bytes(
        encoding=serialization.Encoding.DER if der else serialization.Encoding.PEM,
        format=_FORMATS[encoding],
        encryption_algorithm=serialization.NoEncryption(),
    )


def combined_pem(key_pem: bytes, chain_pem: bytes) -> bytes:
    """tls-combined.pem: the key, then the leaf and its chain (HAProxy's `crt` file)."""
    return key_pem.rstrip(b"\n") + b"\n" + chain_pem.lstrip(b"\n")
