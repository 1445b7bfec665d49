"""Account keys: make one, and turn a PEM (EC or RSA, user-provided ones too) into a signing JWK."""

from __future__ import annotations

import josepy as jose
from cryptography.hazmat.primitives.asymmetric import ec

from evercert.core import reasons
from evercert.core.errors import AcmeFailure
from evercert.pki import generate_private_key, load_private_key_pem, private_key_to_pem

_EC_ALGORITHMS = {"secp256r1": jose.ES256, "secp384r1": jose.ES384, "secp521r1": jose.ES512}


def generate_account_key() -> bytes:
    """A fresh EC P-256 account key as PKCS#8 PEM."""
    return private_key_to_pem(generate_private_key("ECDSA", 256))


def jwk_from_pem(pem: bytes) -> jose.JWK:
    """The account key as a JWK (JWKEC or JWKRSA); AcmeFailure when the PEM is not a usable key."""
    try:
        key = load_private_key_pem(pem)
    except ValueError as exc:
        raise AcmeFailure(reasons.ACME_ACCOUNT_FAILED, f"account key: {exc}") from None
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return jose.JWKEC(key=key)
    return jose.JWKRSA(key=key)


def signature_algorithm(key: jose.JWK) -> jose.JWASignature:
    """The JWS algorithm that matches the key: ES256/384/512 for EC, RS256 for RSA."""
    if isinstance(key, jose.JWKEC):
        curve = key.key.curve.name
        if curve not in _EC_ALGORITHMS:
            raise AcmeFailure(reasons.ACME_ACCOUNT_FAILED, f"account key: unsupported EC curve {curve}")
        return _EC_ALGORITHMS[curve]
    return jose.RS256
