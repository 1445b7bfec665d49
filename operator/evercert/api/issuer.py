"""Issuer and ClusterIssuer specs (cert-manager's `spec.acme` layout) as typed, validated values."""

from __future__ import annotations

import base64
import binascii
import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, cast, get_args
from urllib.parse import urlsplit

from cryptography import x509

from ..core.errors import InvalidSpec
from .durations import parse_duration
from .fields import Fields
from .solvers import (
    PATH_TYPES,
    SERVICE_TYPES,
    Http01GatewaySolver,
    Http01IngressSolver,
    Http01Solver,
    ParentRef,
    PathType,
    ServiceType,
    Solver,
    object_name,
    parse_solvers,
)

IssuerKind = Literal["Issuer", "ClusterIssuer"]
ISSUER_KINDS: tuple[str, ...] = get_args(IssuerKind)
EAB_KEY_ALGORITHMS = ("HS256", "HS384", "HS512")

_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MIN_ORDER_RATE_PERIOD = datetime.timedelta(seconds=1)


class IssuerKey(NamedTuple):
    """Which issuer an object means: namespace is None for a ClusterIssuer."""

    kind: str
    namespace: str | None
    name: str


@dataclass(frozen=True)
class ExternalAccountBinding:
    """The keyID and the Secret holding the MAC key, for CAs that bind ACME accounts to an external one."""

    key_id: str
    secret_name: str
    secret_key: str = "secret"
    key_algorithm: str = "HS256"


@dataclass(frozen=True)
class OrderRateLimit:
    """At most `orders` new orders in any span of `per` (evercert's `spec.acme.orderRateLimit`)."""

    orders: int
    per: datetime.timedelta


@dataclass(frozen=True, kw_only=True)
class IssuerSpec:
    """An Issuer or ClusterIssuer: the ACME server, the account to use there, and how to solve challenges."""

    kind: IssuerKind
    name: str
    namespace: str | None
    uid: str = ""
    generation: int = 0
    server: str
    private_key_secret_name: str
    email: str | None = None
    external_account_binding: ExternalAccountBinding | None = None
    profile: str | None = None
    preferred_chain: str | None = None
    ca_bundle: bytes | None = None
    skip_tls_verify: bool = False
    solvers: tuple[Solver, ...] = ()
    order_rate_limit: OrderRateLimit | None = None  # None: the CA's known default (issuers/pacing.py)


def parse_issuer(body: Mapping[str, Any], kind: str) -> IssuerSpec:
    """The validated spec of an Issuer or ClusterIssuer (`kind`); InvalidSpec says what to fix."""
    if kind not in ISSUER_KINDS:
        raise ValueError(f"kind must be one of {ISSUER_KINDS}, not {kind!r}")
    metadata = Fields(body.get("metadata"), "metadata")
    acme = _acme_section(Fields(body.get("spec"), "spec"))
    ca_bundle = _ca_bundle(acme)
    return IssuerSpec(
        kind=cast(IssuerKind, kind),
        name=metadata.required_str("name"),
        namespace=metadata.required_str("namespace") if kind == "Issuer" else None,
        uid=metadata.optional_str("uid") or "",
        generation=metadata.optional_int("generation") or 0,
        server=_server(acme),
        email=_email(acme),
        private_key_secret_name=object_name(acme.section("privateKeySecretRef"), "name"),
        external_account_binding=_external_account_binding(acme.section("externalAccountBinding")),
        profile=acme.optional_str("profile"),
        preferred_chain=acme.optional_str("preferredChain"),
        ca_bundle=ca_bundle,
        skip_tls_verify=_skip_tls_verify(acme, ca_bundle),
        solvers=parse_solvers(acme),
        order_rate_limit=_order_rate_limit(acme.section("orderRateLimit")),
    )


def _acme_section(spec: Fields) -> Fields:
    if not spec.has("acme"):
        raise InvalidSpec("spec.acme must be set: evercert issues certificates only from ACME CAs")
    return spec.section("acme")


def _server(acme: Fields) -> str:
    server = acme.required_str("server")
    if not _is_directory_url(server):
        raise InvalidSpec(
            f"{acme.path_of('server')}: {server!r} must be the https:// URL of the ACME directory "
            "(http:// is allowed only for localhost)"
        )
    return server


def _is_directory_url(server: str) -> bool:
    try:
        url = urlsplit(server)
    except ValueError:
        return False
    if url.scheme == "http":
        return url.hostname in _LOCAL_HOSTS
    return url.scheme == "https" and bool(url.hostname)


def _email(acme: Fields) -> str | None:
    email = acme.optional_str("email")
    if email is not None and not _EMAIL.fullmatch(email):
        raise InvalidSpec(f"{acme.path_of('email')}: {email!r} is not an email address like name@example.com")
    return email


def _external_account_binding(section: Fields) -> ExternalAccountBinding | None:
    if not section.data:
        return None
    secret_ref = section.section("keySecretRef")
    return ExternalAccountBinding(
        key_id=section.required_str("keyID"),
        secret_name=object_name(secret_ref, "name"),
        secret_key=secret_ref.optional_str("key") or "secret",
        key_algorithm=section.choice("keyAlgorithm", EAB_KEY_ALGORITHMS, "HS256"),
    )


def _ca_bundle(acme: Fields) -> bytes | None:
    """The PEM bundle from base64 `caBundle`, checked to hold at least one certificate."""
    encoded = acme.optional_str("caBundle")
    if encoded is None:
        return None
    path = acme.path_of("caBundle")
    try:
        pem = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise InvalidSpec(f"{path} must be base64 of PEM-encoded CA certificates") from None
    try:
        x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise InvalidSpec(
            f"{path} must hold PEM-encoded CA certificates (-----BEGIN CERTIFICATE-----)"
        ) from None
    return pem


def _skip_tls_verify(acme: Fields, ca_bundle: bytes | None) -> bool:
    skip = acme.optional_bool("skipTLSVerify")
    if skip and ca_bundle is not None:
        raise InvalidSpec(f"set only one of {acme.path_of('caBundle')} and {acme.path_of('skipTLSVerify')}")
    return skip


def _order_rate_limit(section: Fields) -> OrderRateLimit | None:
    if not section.data:
        return None
    orders = section.optional_int("orders")
    if orders is None or orders < 1:
        raise InvalidSpec(f"{section.path_of('orders')} must be a whole number of at least 1")
    per = parse_duration(section.required_str("per"), section.path_of("per"))
    if per < MIN_ORDER_RATE_PERIOD:
        raise InvalidSpec(f"{section.path_of('per')} must be at least 1s")
    return OrderRateLimit(orders, per)


__all__ = [
    "PATH_TYPES",
    "SERVICE_TYPES",
    "Http01GatewaySolver",
    "Http01IngressSolver",
    "Http01Solver",
    "ParentRef",
    "PathType",
    "ServiceType",
    "Solver",
]
