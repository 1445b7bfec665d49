"""HTTP-01 in the cluster: present the challenges (Pod, Service, and an Ingress or HTTPRoute route),
check the routes answer, and clean up afterwards (also a user's Ingress that was edited in place)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import partial
from typing import Any

from ..acme.order import Http01Task
from ..api.certificate import CertificateSpec
from ..api.issuer import Http01GatewaySolver, Http01IngressSolver
from ..core import constants
from ..kube import solvers as kube_solvers
from ..kube.client import Kube
from .challenge import SolverRequest, certificate_label_value
from .httproute import build_httproute
from .ingress import add_challenge_path, build_ingress, remove_paths_to_services
from .pod import build_pod
from .selfcheck import wait_for_route
from .service import build_service


def solver_request(
    spec: CertificateSpec, solver: Http01IngressSolver | Http01GatewaySolver, task: Http01Task, image: str
) -> SolverRequest:
    return SolverRequest(
        certificate_name=spec.name,
        certificate_uid=spec.uid,
        namespace=spec.namespace,
        dns_name=task.dns_name,
        token=task.token,
        key_authorization=task.key_authorization,
        image=image,
        solver=solver,
        ingress_class_override=spec.solver_ingress_class,
    )


def solver_selector(certificate_name: str) -> str:
    """Selects every solver object of this Certificate, whatever challenge it served."""
    label = certificate_label_value(certificate_name)
    return f"{constants.LABEL_SOLVER}=true,{constants.LABEL_CERTIFICATE}={label}"


async def present(kube: Kube, requests: Sequence[SolverRequest]) -> None:
    """Create each challenge's Pod, Service and route: a new HTTPRoute or Ingress, or a path in the user's."""
    for request in requests:
        await kube_solvers.create_solver_objects(
            kube, request.namespace, build_pod(request), build_service(request), _new_route(request)
        )
        edited = edited_ingress(request.solver)
        if edited:
            await kube_solvers.edit_ingress(
                kube, request.namespace, edited, partial(add_challenge_path, request=request)
            )


def _new_route(request: SolverRequest) -> dict[str, Any] | None:
    """The route object to create: an HTTPRoute, an Ingress, or none when a user's Ingress is edited."""
    if isinstance(request.solver, Http01GatewaySolver):
        return build_httproute(request, request.solver)
    return None if request.solver.ingress_name else build_ingress(request)


def edited_ingress(solver: Http01IngressSolver | Http01GatewaySolver | None) -> str | None:
    """The user's Ingress that the solver adds its paths to, if it does."""
    return solver.ingress_name if isinstance(solver, Http01IngressSolver) else None


async def check_routes(requests: Sequence[SolverRequest], address: str | None, timeout: float) -> None:
    """Wait until every route answers its key authorization over HTTP (SelfCheckFailed when not in time)."""
    await asyncio.gather(
        *(
            wait_for_route(r.dns_name, r.token, r.key_authorization, address=address, timeout=timeout)
            for r in requests
        )
    )


async def clean_up(
    kube: Kube,
    namespace: str,
    certificate_name: str,
    solver: Http01IngressSolver | Http01GatewaySolver | None = None,
) -> None:
    """Delete the solver objects; first take their routes out of a user's Ingress that was edited.

    With the solver unknown (None), every kind of solver object is looked for."""
    selector = solver_selector(certificate_name)
    edited = edited_ingress(solver)
    if edited:
        services = await kube_solvers.solver_service_names(kube, namespace, selector)
        if services:
            await kube_solvers.edit_ingress(
                kube, namespace, edited, lambda ing: remove_paths_to_services(ing, services)
            )
    httproutes = not isinstance(solver, Http01IngressSolver)
    await kube_solvers.delete_solver_objects(kube, namespace, selector, httproutes=httproutes)
