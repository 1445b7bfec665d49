"""The HTTP-01 solvers of an ACME issuer (`spec.acme.solvers[].http01`): an Ingress or a Gateway API
HTTPRoute, with the solver Pod's template, as typed, validated values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

from ..core.constants import GATEWAY_GROUP
from ..core.errors import InvalidSpec
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


def parse_solvers(acme: Fields) -> tuple[Http01IngressSolver | Http01GatewaySolver, ...]:
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
