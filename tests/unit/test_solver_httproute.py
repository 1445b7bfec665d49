"""The solver HTTPRoute: the Gateway API route for one challenge, built like the other solver objects."""

import dataclasses

from evercert.api.issuer import Http01GatewaySolver, ParentRef
from evercert.core.constants import ACME_CHALLENGE_PATH, LABEL_SOLVER, SOLVER_PORT
from evercert.solver.challenge import owner_reference, solver_labels, solver_name
from evercert.solver.httproute import build_httproute
from evercert.solver.presenting import edited_ingress
from evercert.solver.service import build_service

from .test_solver_manifests import REQUEST

SOLVER = Http01GatewaySolver(
    parent_refs=(ParentRef("edge", namespace="infra", section_name="http"), ParentRef("internal", port=8080)),
    labels={"team": "edge", LABEL_SOLVER: "false"},
)
GATEWAY_REQUEST = dataclasses.replace(REQUEST, solver=SOLVER)


def test_routes_the_challenge_path_of_the_host_to_the_solver_service() -> None:
    route = build_httproute(GATEWAY_REQUEST, SOLVER)
    assert route["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert route["kind"] == "HTTPRoute"
    assert route["spec"]["hostnames"] == ["www.example.com"]
    (rule,) = route["spec"]["rules"]
    assert rule["matches"] == [{"path": {"type": "Exact", "value": ACME_CHALLENGE_PATH + REQUEST.token}}]
    service = build_service(GATEWAY_REQUEST)
    assert rule["backendRefs"] == [
        {"group": "", "kind": "Service", "name": service["metadata"]["name"], "port": SOLVER_PORT}
    ]
    assert service["spec"]["ports"][0]["port"] == SOLVER_PORT


def test_attaches_to_the_named_parents_with_only_the_fields_set() -> None:
    assert build_httproute(GATEWAY_REQUEST, SOLVER)["spec"]["parentRefs"] == [
        {
            "group": "gateway.networking.k8s.io",
            "kind": "Gateway",
            "name": "edge",
            "namespace": "infra",
            "sectionName": "http",
        },
        {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "internal", "port": 8080},
    ]


def test_is_named_owned_and_labelled_like_the_other_solver_objects() -> None:
    metadata = build_httproute(GATEWAY_REQUEST, SOLVER)["metadata"]
    assert metadata["name"] == solver_name(GATEWAY_REQUEST)
    assert metadata["namespace"] == REQUEST.namespace
    assert metadata["ownerReferences"] == [owner_reference(GATEWAY_REQUEST)]
    # The Issuer's labels are added; evercert's own (which clean-up selects by) cannot be overridden.
    assert metadata["labels"] == {"team": "edge", **solver_labels(GATEWAY_REQUEST)}


def test_the_service_takes_the_gateway_solvers_service_type() -> None:
    request = dataclasses.replace(REQUEST, solver=dataclasses.replace(SOLVER, service_type="NodePort"))
    assert build_service(request)["spec"]["type"] == "NodePort"


def test_a_gateway_solver_edits_no_users_ingress() -> None:
    assert edited_ingress(SOLVER) is None
