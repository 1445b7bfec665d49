"""The solver route: a dedicated Ingress, or one path added to a user's existing Ingress."""

import copy
from typing import Any

from evercert.api.names import is_ip_address
from evercert.core.constants import ACME_CHALLENGE_PATH, SOLVER_PORT
from evercert.solver.challenge import SolverRequest, solver_metadata, solver_name

LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class"


def build_ingress(request: SolverRequest) -> dict[str, Any]:
    """A networking.k8s.io/v1 Ingress routing the challenge path of the host to the solver."""
    metadata = solver_metadata(request)
    spec: dict[str, Any] = {"rules": [_rule(request)]}
    if request.ingress_class_name:
        spec["ingressClassName"] = request.ingress_class_name
    elif request.ingress_class:
        metadata["annotations"] = {LEGACY_CLASS_ANNOTATION: request.ingress_class}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": metadata, "spec": spec}


def challenge_path(token: str) -> str:
    """The URL path the CA fetches for this token."""
    return ACME_CHALLENGE_PATH + token


def challenge_path_entry(request: SolverRequest) -> dict[str, Any]:
    """One `spec.rules[].http.paths[]` entry sending the challenge path to the solver Service."""
    return {
        "path": challenge_path(request.token),
        "pathType": request.solver.path_type,
        "backend": {"service": {"name": solver_name(request), "port": {"number": SOLVER_PORT}}},
    }


def add_challenge_path(ingress: dict[str, Any], request: SolverRequest) -> dict[str, Any]:
    """A copy of `ingress` that also routes the challenge; nothing else is changed."""
    edited = copy.deepcopy(ingress)
    rules = edited.setdefault("spec", {}).setdefault("rules", [])
    rule = next((r for r in rules if r.get("host") == _host(request) and r.get("http")), None)
    if rule is None:
        rules.append(_rule(request))
        return edited
    entry = challenge_path_entry(request)
    others = [p for p in rule["http"].get("paths", []) if p.get("path") != entry["path"]]
    # First, so that controllers matching paths in order don't send it to the user's catch-all.
    rule["http"]["paths"] = [entry, *others]
    return edited


def remove_challenge_path(ingress: dict[str, Any], token: str) -> dict[str, Any]:
    """A copy of `ingress` without the token's challenge path, and without a rule left empty by it."""
    edited = copy.deepcopy(ingress)
    spec = edited.get("spec", {})
    if "rules" in spec:
        kept = (_without_path(rule, challenge_path(token)) for rule in spec["rules"])
        spec["rules"] = [rule for rule in kept if rule is not None]
    return edited


def remove_paths_to_services(ingress: dict[str, Any], services: set[str]) -> dict[str, Any]:
    """A copy of `ingress` without the challenge paths that lead to any of `services`."""
    edited = ingress
    for rule in (ingress.get("spec") or {}).get("rules") or []:
        for entry in (rule.get("http") or {}).get("paths") or []:
            backend = ((entry.get("backend") or {}).get("service") or {}).get("name")
            path = entry.get("path") or ""
            if backend in services and path.startswith(ACME_CHALLENGE_PATH):
                edited = remove_challenge_path(edited, path[len(ACME_CHALLENGE_PATH) :])
    return edited


def _without_path(rule: dict[str, Any], path: str) -> dict[str, Any] | None:
    """The rule without `path`; None when `path` was its only path."""
    paths = (rule.get("http") or {}).get("paths", [])
    if not any(p.get("path") == path for p in paths):
        return rule
    kept = [p for p in paths if p.get("path") != path]
    return {**rule, "http": {**rule["http"], "paths": kept}} if kept else None


def _rule(request: SolverRequest) -> dict[str, Any]:
    host = _host(request)
    http = {"http": {"paths": [challenge_path_entry(request)]}}
    return {"host": host, **http} if host else http


def _host(request: SolverRequest) -> str | None:
    """The rule's host: the DNS name; none for an IP address, which an Ingress host cannot be (the
    CA connects to the address itself, so the path alone routes it)."""
    return None if is_ip_address(request.dns_name) else request.dns_name
