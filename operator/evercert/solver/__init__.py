"""HTTP-01: pure builders of the solver Pod, Service and Ingress, and the server inside the Pod.

Loaded on first use: the solver Pod imports only `evercert.solver.server` (no cryptography, no API
models), so that it starts in a few milliseconds; the operator never loads the server.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_HOMES = {
    "SolverRequest": "challenge",
    "owner_reference": "challenge",
    "solver_labels": "challenge",
    "solver_name": "challenge",
    "add_challenge_path": "ingress",
    "build_ingress": "ingress",
    "remove_challenge_path": "ingress",
    "build_pod": "pod",
    "build_service": "service",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
