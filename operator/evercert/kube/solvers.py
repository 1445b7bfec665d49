"""Create and remove the HTTP-01 solver objects (Pod, Service, Ingress) of one Certificate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubernetes_asyncio.client.exceptions import ApiException

from .client import Kube


async def create_solver_objects(
    kube: Kube, namespace: str, pod: Mapping[str, Any], service: Mapping[str, Any], ingress: Mapping[str, Any]
) -> None:
    """Create the three objects; ones that exist already (a resumed attempt) are kept as they are."""
    for create, body in (
        (kube.core.create_namespaced_pod, pod),
        (kube.core.create_namespaced_service, service),
        (kube.networking.create_namespaced_ingress, ingress),
    ):
        try:
            await create(namespace, body)
        except ApiException as exc:
            if exc.status != 409:
                raise


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
