"""Custom resources as typed, validated values: the only package that knows the CRD field names."""

from .certificate import CertificateSpec, IssuerRef, SecretTemplate, parse_certificate
from .durations import format_duration, parse_duration
from .issuer import ExternalAccountBinding, Http01IngressSolver, IssuerKey, IssuerSpec, parse_issuer
from .private_key import PrivateKeySpec

__all__ = [
    "CertificateSpec",
    "ExternalAccountBinding",
    "Http01IngressSolver",
    "IssuerKey",
    "IssuerRef",
    "IssuerSpec",
    "PrivateKeySpec",
    "SecretTemplate",
    "format_duration",
    "parse_certificate",
    "parse_duration",
    "parse_issuer",
]
