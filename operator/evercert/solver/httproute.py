"""The solver route through the Gateway API: a temporary HTTPRoute on the Issuer's parentRefs."""

from typing import Any

from evercert.api.issuer import Http01GatewaySolver, ParentRef
from evercert.core.constants import GATEWAY_API_VERSION, SOLVER_PORT
from evercert.solver.challenge import SolverRequest, solver_metadata, solver_name
from evercert.solver.ingress import challenge_path


def build_httproute(request: SolverRequest, solver: Http01GatewaySolver) -> dict[str, Any]:
    """A gateway.networking.k8s.io/v1 HTTPRoute sending the host's challenge path to the solver Service."""
    metadata = solver_metadata(request)
    metadata["labels"] = {**solver.labels, **metadata["labels"]}
    spec: dict[str, Any] = {
        "parentRefs": [parent_reference(parent) for parent in solver.parent_refs],
        "hostnames": [request.dns_name],
        "rules": [
            {
                "matches": [{"path": {"type": "Exact", "value": challenge_path(request.token)}}],
                "backendRefs": [
                    {"group": "", "kind": "Service", "name": solver_name(request), "port": SOLVER_PORT}
                ],
            }
        ],
    }
    return {"apiVersion": GATEWAY_API_VERSION, "kind": "HTTPRoute", "metadata": metadata, "spec": spec}


def parent_reference(parent: ParentRef) -> dict[str, Any]:
    """One `spec.parentRefs[]` entry, with only the optional fields the Issuer set."""
    entry: dict[str, Any] = {"group": parent.group, "kind": parent.kind, "name": parent.name}
    optional = {"namespace": parent.namespace, "sectionName": parent.section_name, "port": parent.port}
    entry.update({key: value for key, value in optional.items() if value is not None})
    return entry
