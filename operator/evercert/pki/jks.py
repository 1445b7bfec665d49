"""Java KeyStore (JKS) files, written from scratch: Java and Kafka read them without any converter.

The format (OpenJDK's JavaKeyStore): magic 0xFEEDFEED, version 2, a count of entries, each a private
key entry (tag 1: alias, time, the key as an EncryptedPrivateKeyInfo under Sun's key protector, the
chain) or a trusted certificate entry (tag 2), then a SHA-1 over password, whitener and all before."""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

MAGIC = 0xFEEDFEED
VERSION = 2
PRIVATE_KEY_TAG = 1
TRUSTED_CERT_TAG = 2
WHITENER = b"Mighty Aphrodite"
# Sun's proprietary key protector, 1.3.6.1.4.1.42.2.17.1.1, DER-encoded as an OBJECT IDENTIFIER.
KEY_PROTECTOR_OID = bytes.fromhex("060a2b060104012a02110101")
DER_NULL = b"\x05\x00"
SALT_SIZE = 20


@dataclass(frozen=True)
class KeyEntry:
    alias: str
    pkcs8_der: bytes  # the unencrypted private key, PKCS#8 DER
    chain: Sequence[x509.Certificate]  # leaf first


@dataclass(frozen=True)
class TrustedEntry:
    alias: str
    certificate: x509.Certificate


def encode_jks(
    entries: Sequence[KeyEntry | TrustedEntry],
    password: str,
    timestamp_ms: int,
    salt: Callable[[int], bytes] = os.urandom,
) -> bytes:
    """The keystore file; each key is protected with the store's password (as keytool expects).

    Aliases are stored lowercased, as Java does; two entries with the same alias are a ValueError."""
    aliases = [entry.alias.lower() for entry in entries]
    if len(set(aliases)) != len(aliases):
        raise ValueError(f"JKS aliases must differ: {', '.join(aliases)}")
    body = struct.pack(">III", MAGIC, VERSION, len(entries))
    for alias, entry in zip(aliases, entries, strict=True):
        if isinstance(entry, KeyEntry):
            protected = protect_key(entry.pkcs8_der, password, salt(SALT_SIZE))
            body += struct.pack(">I", PRIVATE_KEY_TAG) + _utf(alias) + struct.pack(">q", timestamp_ms)
            body += _sized(protected) + struct.pack(">I", len(entry.chain))
            body += b"".join(_certificate(cert) for cert in entry.chain)
        else:
            body += struct.pack(">I", TRUSTED_CERT_TAG) + _utf(alias) + struct.pack(">q", timestamp_ms)
            body += _certificate(entry.certificate)
    return body + hashlib.sha1(_password_bytes(password) + WHITENER + body).digest()


def protect_key(pkcs8_der: bytes, password: str, salt: bytes) -> bytes:
    """Sun's key protector: XOR with a SHA-1 keystream seeded by the salt, then a SHA-1 check value,
    wrapped in an EncryptedPrivateKeyInfo (RFC 5208) naming the protector's OID."""
    secret = _password_bytes(password)
    stream, block = b"", salt
    while len(stream) < len(pkcs8_der):
        block = hashlib.sha1(secret + block).digest()
        stream += block
    encrypted = bytes(a ^ b for a, b in zip(pkcs8_der, stream, strict=False))
    check = hashlib.sha1(secret + pkcs8_der).digest()
    algorithm = _der(0x30, KEY_PROTECTOR_OID + DER_NULL)
    return _der(0x30, algorithm + _der(0x04, salt + encrypted + check))


def _password_bytes(password: str) -> bytes:
    """Java's char[] as bytes: two per UTF-16 code unit, big-endian."""
    return password.encode("utf-16-be")


def _utf(text: str) -> bytes:
    """DataOutput.writeUTF for the aliases evercert writes (no NUL or astral characters: plain UTF-8)."""
    data = text.encode()
    if len(data) > 0xFFFF or "\0" in text or any(ord(c) > 0xFFFF for c in text):
        raise ValueError("a JKS alias must be short and hold no NUL or characters beyond U+FFFF")
    return struct.pack(">H", len(data)) + data


def _sized(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _certificate(cert: x509.Certificate) -> bytes:
    return _utf("X.509") + _sized(cert.public_bytes(Encoding.DER))


def _der(tag: int, content: bytes) -> bytes:
    """One DER element: tag, definite length, content."""
    size = len(content)
    if size < 0x80:
        return bytes((tag, size)) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + content
