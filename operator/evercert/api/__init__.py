"""Custom resources as typed, validated values: the only package that knows the CRD field names."""

from .certificate import CertificateSpec, IssuerRef, PrivateKeySpec, SecretTemplate, parse_certificate
from .durations import format_duration, parse_duration
from .errors import (
    EvercertError,
    InvalidSpec,
    IssuerNotFound,
    IssuerNotReady,
    SecretNameConflict,
    SecretNotOwned,
)
from .issuer import ExternalAccountBinding, Http01IngressSolver, IssuerKey, IssuerSpec, parse_issuer

__all__ = [
    "CertificateSpec",
    "EvercertError",
    "ExternalAccountBinding",
    "Http01IngressSolver",
    "InvalidSpec",
    "IssuerKey",
    "IssuerNotFound",
    "IssuerNotReady",
    "IssuerRef",
    "IssuerSpec",
    "PrivateKeySpec",
    "SecretNameConflict",
    "SecretNotOwned",
    "SecretTemplate",
    "format_duration",
    "parse_certificate",
    "parse_duration",
    "parse_issuer",
]
