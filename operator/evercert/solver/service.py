"""The solver Service: routes the Ingress backend to the solver Pod of one challenge."""

from typing import Any

from evercert.core.constants import SOLVER_PORT
from evercert.solver.challenge import SolverRequest, solver_labels, solver_metadata


def build_service(request: SolverRequest) -> dict[str, Any]:
    """The Service manifest; it selects only the Pod built for the same challenge."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": solver_metadata(request),
        "spec": {
            "type": request.solver.service_type,
            "selector": solver_labels(request),
            "ports": [{"name": "http", "port": SOLVER_PORT, "targetPort": SOLVER_PORT, "protocol": "TCP"}],
        },
    }
