"""The solvers of an ACME issuer (`spec.acme.solvers[]`): HTTP-01 through an Ingress or a Gateway API
HTTPRoute, with the solver Pod's template, or DNS-01 (api/dns01.py), each with its selector."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, cast, get_args

from ..core.constants import GATEWAY_GROUP
from ..core.errors import InvalidSpec
from .dns01 import Dns01Solver, SolverSelector, parse_dns01, parse_selector
from .fields import Fields
from .names import check_annotations, check_labels, check_object_name

ServiceType = Literal["ClusterIP", "NodePort"]
PathType = Literal["Exact", "ImplementationSpecific"]
SERVICE_TYPES: tuple[str, ...] = get_args(ServiceType)
PATH_TYPES: tuple[str, ...] = get_args(PathType)
_INGRESS_TARGETS = ("ingressClassName", "class", "name")


@dataclass(frozen=True, kw_only=True)
class Http01Solver:
    """What every HTTP-01 solver sets: the solver Service's type and the solver Pod's template."""

    service_type: ServiceType = "ClusterIP"
    pod_labels: Mapping[str, str] = field(default_factory=dict)
    pod_annotations: Mapping[str, str] = field(default_factory=dict)
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Mapping[str, Any], ...] = ()
    selector: SolverSelector | None = None


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


Solver = Http01IngressSolver | Http01GatewaySolver | Dns01Solver


def parse_solvers(acme: Fields) -> tuple[Solver, ...]:
    """The solvers (HTTP-01 by Ingress or Gateway API, DNS-01), in order; InvalidSpec when there is none."""
    solvers: list[Solver] = []
    for solver in acme.sections("solvers"):
        http01 = solver.section("http01")
        if http01.data and solver.has("dns01"):
            raise InvalidSpec(f"{solver.path}: set only one of http01 and dns01 (one solver each)")
        if http01.has("ingress") and http01.has("gatewayHTTPRoute"):
            raise InvalidSpec(f"{http01.path}: set only one of ingress and gatewayHTTPRoute")
        selector = parse_selector(solver)
        if http01.has("ingress"):
            solvers.append(replace(_ingress_solver(http01.section("ingress")), selector=selector))
        elif http01.has("gatewayHTTPRoute"):
            solvers.append(replace(_gateway_solver(http01.section("gatewayHTTPRoute")), selector=selector))
        elif solver.has("dns01"):
            solvers.append(parse_dns01(solver.section("dns01"), selector))
    if not solvers:
        raise InvalidSpec(
            f"{acme.path_of('solvers')}: add a solver: http01.ingress, http01.gatewayHTTPRoute or dns01 "
            "(rfc2136, acmeDNS or webhook)"
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
        name=object_name(parent, "name"),
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
    return object_name(section, key) if section.has(key) else None


def object_name(section: Fields, key: str) -> str:
    return check_object_name(section.required_str(key), section.path_of(key))
