"""HTTP-01: pure builders of the solver Pod, Service and Ingress, and the server inside the Pod.

The server lives in `evercert.solver.server` and is not imported here, so the operator never loads it.
"""

from evercert.solver.challenge import SolverRequest, owner_reference, solver_labels, solver_name
from evercert.solver.ingress import add_challenge_path, build_ingress, remove_challenge_path
from evercert.solver.pod import build_pod
from evercert.solver.service import build_service

__all__ = [
    "SolverRequest",
    "add_challenge_path",
    "build_ingress",
    "build_pod",
    "build_service",
    "owner_reference",
    "remove_challenge_path",
    "solver_labels",
    "solver_name",
]
