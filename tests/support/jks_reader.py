"""A JKS reader for tests, written from the format's description independently of evercert.pki.jks:
it checks the integrity hash and the key protector's check value, so a wrong byte anywhere fails."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field

from cryptography import x509

MAGIC = 0xFEEDFEED


@dataclass
class ReadKeystore:
    keys: dict[str, bytes] = field(default_factory=dict)  # alias -> PKCS#8 DER
    chains: dict[str, list[x509.Certificate]] = field(default_factory=dict)
    trusted: dict[str, x509.Certificate] = field(default_factory=dict)
    timestamps: dict[str, int] = field(default_factory=dict)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, size: int) -> bytes:
        chunk = self.data[self.at : self.at + size]
        if len(chunk) != size:
            raise ValueError("truncated keystore")
        self.at += size
        return chunk

    def u16(self) -> int:
        return int(struct.unpack(">H", self.take(2))[0])

    def u32(self) -> int:
        return int(struct.unpack(">I", self.take(4))[0])

    def u64(self) -> int:
        return int(struct.unpack(">q", self.take(8))[0])

    def utf(self) -> str:
        return self.take(self.u16()).decode()

    def certificate(self) -> x509.Certificate:
        assert self.utf() == "X.509"
        return x509.load_der_x509_certificate(self.take(self.u32()))


def read_jks(data: bytes, password: str) -> ReadKeystore:
    secret = password.encode("utf-16-be")
    body, digest = data[:-20], data[-20:]
    if hashlib.sha1(secret + b"Mighty Aphrodite" + body).digest() != digest:
        raise ValueError("keystore integrity check failed (wrong password or corrupted file)")
    reader, store = _Reader(body), ReadKeystore()
    assert reader.u32() == MAGIC and reader.u32() == 2
    for _ in range(reader.u32()):
        tag, alias, stamp = reader.u32(), reader.utf(), reader.u64()
        store.timestamps[alias] = stamp
        if tag == 1:
            store.keys[alias] = _unprotect(reader.take(reader.u32()), secret)
            store.chains[alias] = [reader.certificate() for _ in range(reader.u32())]
        elif tag == 2:
            store.trusted[alias] = reader.certificate()
        else:
            raise ValueError(f"unknown entry tag {tag}")
    assert reader.at == len(body)
    return store


def _unprotect(info: bytes, secret: bytes) -> bytes:
    """Open an EncryptedPrivateKeyInfo made by Sun's key protector."""
    inner = _der_content(info, 0x30)
    algorithm_length = 2 + inner[1]
    assert inner[2:14] == bytes.fromhex("060a2b060104012a02110101"), "not the JKS key protector"
    protected = _der_content(inner[algorithm_length:], 0x04)
    salt, encrypted, check = protected[:20], protected[20:-20], protected[-20:]
    stream, block = b"", salt
    while len(stream) < len(encrypted):
        block = hashlib.sha1(secret + block).digest()
        stream += block
    plain = bytes(a ^ b for a, b in zip(encrypted, stream, strict=False))
    if hashlib.sha1(secret + plain).digest() != check:
        raise ValueError("key check value does not match")
    return plain


def _der_content(data: bytes, tag: int) -> bytes:
    assert data[0] == tag
    size = data[1]
    if size < 0x80:
        return data[2 : 2 + size]
    count = size & 0x7F
    size = int.from_bytes(data[2 : 2 + count], "big")
    return data[2 + count : 2 + count + size]
