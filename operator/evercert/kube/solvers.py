"""Create and remove the HTTP-01 solver objects (Pod, Service, Ingress) of one Certificate."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from kubernetes_asyncio.client.exceptions import ApiException

from ..errors import SolverIngressNotFound
from .client import Kube


async def create_solver_objects(
    kube: Kube,
    namespace: str,
    pod: Mapping[str, Any],
    service: Mapping[str, Any],
    ingress: Mapping[str, Any] | None,
) -> None:
    """Create the objects (no Ingress when a user's is edited); existing ones (a resumed attempt) are kept."""
    creations: list[tuple[Callable[..., Awaitable[Any]], Mapping[str, Any]]] = [
        (kube.core.create_namespaced_pod, pod),
        (kube.core.create_namespaced_service, service),
    ]
    if ingress is not None:
        creations.append((kube.networking.create_namespaced_ingress, ingress))
    for create, body in creations:
        try:
            await create(namespace, body)
        except ApiException as exc:
            if exc.status != 409:
                raise


async def edit_ingress(
    kube: Kube, namespace: str, name: str, change: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    """Apply a pure change to a user's Ingress (http01.ingress.name), retrying on write conflicts."""
    for _ in range(10):
        try:
            current = kube.to_dict(await kube.networking.read_namespaced_ingress(name, namespace))
        except ApiException as exc:
            if exc.status == 404:
                raise SolverIngressNotFound(
                    f"Ingress {namespace}/{name}, named by the issuer's http01.ingress.name, does not exist"
                ) from None
            raise
        edited = change(current)
        if edited == current:
            return
        try:
            await kube.networking.replace_namespaced_ingress(name, namespace, edited)
            return
        except ApiException as exc:
            if exc.status != 409:
                raise
    raise SolverIngressNotFound(f"Ingress {namespace}/{name} kept changing; could not edit it")


async def solver_service_names(kube: Kube, namespace: str, label_selector: str) -> set[str]:
    listed = await kube.core.list_namespaced_service(namespace, label_selector=label_selector)
    return {item.metadata.name for item in listed.items}


async def delete_solver_objects(kube: Kube, namespace: str, label_selector: str) -> int:
    """Delete every solver object matching the selector; returns how many were found."""
    found = 0
    for lister, deleter in (
        (kube.networking.list_namespaced_ingress, kube.networking.delete_namespaced_ingress),
        (kube.core.list_namespaced_service, kube.core.delete_namespaced_service),
        (kube.core.list_namespaced_pod, kube.core.delete_namespaced_pod),
    ):
        listed = await lister(namespace, label_selector=label_selector)
        for item in listed.items:
            found += 1
            try:
                await deleter(item.metadata.name, namespace, grace_period_seconds=0)
            except ApiException as exc:
                if exc.status != 404:
                    raise
    return found
