"""Issuer and ClusterIssuer specs (cert-manager's `spec.acme` layout) as typed, validated values."""

from __future__ import annotations

import base64
import binascii
import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, cast, get_args
from urllib.parse import urlsplit

from cryptography import x509

from ..constants import GATEWAY_GROUP
from ..errors import InvalidSpec
from .durations import parse_duration
from .fields import Fields
from .names import check_annotations, check_labels, check_object_name

IssuerKind = Literal["Issuer", "ClusterIssuer"]
ServiceType = Literal["ClusterIP", "NodePort"]
PathType = Literal["Exact", "ImplementationSpecific"]
ISSUER_KINDS: tuple[str, ...] = get_args(IssuerKind)
SERVICE_TYPES: tuple[str, ...] = get_args(ServiceType)
PATH_TYPES: tuple[str, ...] = get_args(PathType)
EAB_KEY_ALGORITHMS = ("HS256", "HS384", "HS512")

_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_INGRESS_TARGETS = ("ingressClassName", "class", "name")
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
class Http01Solver:
    """What every HTTP-01 solver sets: the solver Service's type and the solver Pod's template."""

    service_type: ServiceType = "ClusterIP"
    pod_labels: Mapping[str, str] = field(default_factory=dict)
    pod_annotations: Mapping[str, str] = field(default_factory=dict)
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True, kw_only=True)
class Http01IngressSolver(Http01Solver):
    """How to route HTTP-01 challenges: a new Ingress of a class, or an existing Ingress edited in place."""

    ingress_class_name: str | None = None
    ingress_class: str | None = None
    ingress_name: str | None = None
    path_type: PathType = "Exact"


@dataclass(frozen=True)
class ParentRef:
    """A Gateway (or a listener of one: sectionName, port) that the solver HTTPRoute attaches to."""

    name: str
    namespace: str | None = None
    section_name: str | None = None
    port: int | None = None
    group: str = GATEWAY_GROUP
    kind: str = "Gateway"


@dataclass(frozen=True, kw_only=True)
class Http01GatewaySolver(Http01Solver):
    """Route HTTP-01 challenges through a temporary Gateway API HTTPRoute on the named parents."""

    parent_refs: tuple[ParentRef, ...]
    labels: Mapping[str, str] = field(default_factory=dict)


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
    solvers: tuple[Http01IngressSolver | Http01GatewaySolver, ...] = ()
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
        private_key_secret_name=_object_name(acme.section("privateKeySecretRef"), "name"),
        external_account_binding=_external_account_binding(acme.section("externalAccountBinding")),
        profile=acme.optional_str("profile"),
        preferred_chain=acme.optional_str("preferredChain"),
        ca_bundle=ca_bundle,
        skip_tls_verify=_skip_tls_verify(acme, ca_bundle),
        solvers=_solvers(acme),
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


def _object_name(section: Fields, key: str) -> str:
    return check_object_name(section.required_str(key), section.path_of(key))


def _external_account_binding(section: Fields) -> ExternalAccountBinding | None:
    if not section.data:
        return None
    secret_ref = section.section("keySecretRef")
    return ExternalAccountBinding(
        key_id=section.required_str("keyID"),
        secret_name=_object_name(secret_ref, "name"),
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


def _solvers(acme: Fields) -> tuple[Http01IngressSolver | Http01GatewaySolver, ...]:
    """The HTTP-01 solvers (Ingress or Gateway API), in order; InvalidSpec when there is none."""
    solvers: list[Http01IngressSolver | Http01GatewaySolver] = []
    for solver in acme.sections("solvers"):
        http01 = solver.section("http01")
        if http01.has("ingress") and http01.has("gatewayHTTPRoute"):
            raise InvalidSpec(f"{http01.path}: set only one of ingress and gatewayHTTPRoute")
        if http01.has("ingress"):
            solvers.append(_ingress_solver(http01.section("ingress")))
        elif http01.has("gatewayHTTPRoute"):
            solvers.append(_gateway_solver(http01.section("gatewayHTTPRoute")))
    if not solvers:
        raise InvalidSpec(
            f"{acme.path_of('solvers')}: evercert supports only HTTP-01 challenges: add a solver with "
            "http01.ingress or http01.gatewayHTTPRoute (DNS-01 solvers are not supported)"
        )
    return tuple(solvers)


def _ingress_solver(ingress: Fields) -> Http01IngressSolver:
    targets = [key for key in _INGRESS_TARGETS if ingress.has(key)]
    if len(targets) > 1:
        raise InvalidSpec(
            f"{ingress.path}: set at most one of {', '.join(_INGRESS_TARGETS)} (found {', '.join(targets)})"
        )
    return Http01IngressSolver(
        ingress_class_name=_optional_object_name(ingress, "ingressClassName"),
        ingress_class=ingress.optional_str("class"),
        ingress_name=_optional_object_name(ingress, "name"),
        path_type=cast(PathType, ingress.choice("pathType", PATH_TYPES, "Exact")),
        **_solver_pod(ingress),
    )


def _gateway_solver(route: Fields) -> Http01GatewaySolver:
    parent_refs = tuple(_parent_ref(parent) for parent in route.sections("parentRefs"))
    if not parent_refs:
        raise InvalidSpec(f"{route.path_of('parentRefs')}: name at least one Gateway to attach the route to")
    return Http01GatewaySolver(
        parent_refs=parent_refs,
        labels=check_labels(route.str_map("labels"), route.path_of("labels")),
        **_solver_pod(route),
    )


def _parent_ref(parent: Fields) -> ParentRef:
    port = parent.optional_int("port")
    if port is not None and not 1 <= port <= 65535:
        raise InvalidSpec(f"{parent.path_of('port')} must be a port number (1 to 65535), not {port}")
    return ParentRef(
        name=_object_name(parent, "name"),
        namespace=_optional_object_name(parent, "namespace"),
        section_name=parent.optional_str("sectionName"),
        port=port,
        group=parent.optional_str("group") or GATEWAY_GROUP,
        kind=parent.optional_str("kind") or "Gateway",
    )


def _solver_pod(solver: Fields) -> dict[str, Any]:
    """The Service type and Pod template fields every HTTP-01 solver shares, as keyword arguments."""
    pod_metadata = solver.section("podTemplate").section("metadata")
    pod_spec = solver.section("podTemplate").section("spec")
    pod_annotations = pod_metadata.str_map("annotations")
    return {
        "service_type": cast(ServiceType, solver.choice("serviceType", SERVICE_TYPES, "ClusterIP")),
        "pod_labels": check_labels(pod_metadata.str_map("labels"), pod_metadata.path_of("labels")),
        "pod_annotations": check_annotations(pod_annotations, pod_metadata.path_of("annotations")),
        "node_selector": check_labels(pod_spec.str_map("nodeSelector"), pod_spec.path_of("nodeSelector")),
        "tolerations": tuple(dict(toleration.data) for toleration in pod_spec.sections("tolerations")),
    }


def _optional_object_name(section: Fields, key: str) -> str | None:
    return _object_name(section, key) if section.has(key) else None
