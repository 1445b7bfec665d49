"""Private keys: generate, serialise, load, and compare with what a Certificate asks for."""

from __future__ import annotations

from typing import TypeAlias

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

PrivateKey: TypeAlias = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

RSA = "RSA"
ECDSA = "ECDSA"
RSA_SIZES = (2048, 3072, 4096)
ECDSA_CURVES: dict[int, type[ec.EllipticCurve]] = {256: ec.SECP256R1, 384: ec.SECP384R1}
_CURVE_NAMES = {curve.name for curve in ECDSA_CURVES.values()}


def generate_private_key(algorithm: str, size: int) -> PrivateKey:
    """Make a fresh key: RSA 2048/3072/4096 bits, or ECDSA on P-256/P-384; ValueError otherwise."""
    if algorithm == RSA and size in RSA_SIZES:
        return rsa.generate_private_key(public_exponent=65537, key_size=size)
    if algorithm == ECDSA and size in ECDSA_CURVES:
        return ec.generate_private_key(ECDSA_CURVES[size]())
    raise ValueError(f"unsupported private key: algorithm {algorithm!r} with size {size}")


def private_key_to_pem(key: PrivateKey) -> bytes:
    """Serialise as unencrypted PKCS#8 PEM, the form every TLS server reads for both key types."""
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )


def load_private_key_pem(pem: bytes, *, check: bool = True) -> PrivateKey:
    """Load an unencrypted RSA or EC key from PEM; ValueError (never quoting the input) otherwise.

    check=False skips RSA's consistency check (about 45 ms a key): only to look at the key's type,
    size and public half, never to sign with it."""
    try:
        key = serialization.load_pem_private_key(pem, password=None, unsafe_skip_rsa_key_validation=not check)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # `from None`: the library's own error may describe the input, and this one must not.
        raise ValueError("not an unencrypted PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValueError("private key is neither RSA nor ECDSA")
    return key


def public_key_id(key: PrivateKey) -> str:
    """SHA-256 of the public key (SubjectPublicKeyInfo), hex: names a key without revealing it."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = hashes.Hash(hashes.SHA256())
    digest.update(der)
    return digest.finalize().hex()


def key_type(key: PrivateKey) -> tuple[str, int]:
    """(algorithm, size) as a Certificate's privateKey spells them: ("RSA", 2048), ("ECDSA", 256)."""
    if isinstance(key, rsa.RSAPrivateKey):
        return RSA, key.key_size
    if key.curve.name in _CURVE_NAMES:
        return ECDSA, key.curve.key_size
    return f"EC {key.curve.name}", key.curve.key_size
