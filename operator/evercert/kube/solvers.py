"""Create and remove the HTTP-01 solver objects (Pod, Service, Ingress or HTTPRoute) of one Certificate."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any

from kubernetes_asyncio.client.exceptions import ApiException

from ..core import constants
from ..core.errors import SolverIngressNotFound
from .client import Kube, answer


async def create_solver_objects(
    kube: Kube,
    namespace: str,
    pod: Mapping[str, Any],
    service: Mapping[str, Any],
    route: Mapping[str, Any] | None,
) -> None:
    """Create the objects: the route is an Ingress or an HTTPRoute (none when a user's Ingress is edited).

    Existing ones (a resumed attempt) are kept."""
    creations: list[tuple[Callable[..., Awaitable[Any]], Mapping[str, Any]]] = [
        (kube.core.create_namespaced_pod, pod),
        (kube.core.create_namespaced_service, service),
    ]
    if route is not None and route["kind"] == "HTTPRoute":
        creations.append((partial(_create_httproute, kube), route))
    elif route is not None:
        creations.append((kube.networking.create_namespaced_ingress, route))
    for create, body in creations:
        try:
            await answer(create(namespace, body, _preload_content=False))
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
    return set(await _names(kube.core.list_namespaced_service)(namespace, label_selector))


async def delete_solver_objects(
    kube: Kube, namespace: str, label_selector: str, *, httproutes: bool = True
) -> int:
    """Delete every solver object matching the selector (HTTPRoutes too, if asked); returns how many.

    One DeleteCollection request per kind; where the API has none for a kind (405), each object found
    by a LIST is deleted on its own."""
    kinds = [
        (
            kube.networking.delete_collection_namespaced_ingress,
            _names(kube.networking.list_namespaced_ingress),
            kube.networking.delete_namespaced_ingress,
        ),
        (
            kube.core.delete_collection_namespaced_service,
            _names(kube.core.list_namespaced_service),
            kube.core.delete_namespaced_service,
        ),
        (
            kube.core.delete_collection_namespaced_pod,
            _names(kube.core.list_namespaced_pod),
            kube.core.delete_namespaced_pod,
        ),
    ]
    if httproutes:
        kinds.insert(
            0,
            (
                partial(_delete_httproutes, kube),
                partial(_httproute_names, kube),
                partial(_delete_httproute, kube),
            ),
        )
    found = 0
    for delete_all, list_names, delete in kinds:
        try:
            deleted = await answer(
                delete_all(
                    namespace, label_selector=label_selector, grace_period_seconds=0, _preload_content=False
                )
            )
        except ApiException as exc:
            if exc.status == 404:  # no such kind here (the Gateway API is not installed)
                continue
            if exc.status != 405:
                raise
            found += await _delete_each(namespace, label_selector, list_names, delete)
            continue
        found += len(deleted.get("items") or []) if isinstance(deleted, dict) else 0
    return found


async def _delete_each(
    namespace: str,
    label_selector: str,
    list_names: Callable[[str, str], Awaitable[list[str]]],
    delete: Callable[..., Awaitable[Any]],
) -> int:
    names = await list_names(namespace, label_selector)
    for name in names:
        try:
            await answer(delete(name, namespace, grace_period_seconds=0, _preload_content=False))
        except ApiException as exc:
            if exc.status != 404:
                raise
    return len(names)


def _names(lister: Callable[..., Awaitable[Any]]) -> Callable[[str, str], Awaitable[list[str]]]:
    async def names(namespace: str, label_selector: str) -> list[str]:
        listed = await answer(lister(namespace, label_selector=label_selector, _preload_content=False))
        return [item["metadata"]["name"] for item in listed["items"]]

    return names


async def _httproute_names(kube: Kube, namespace: str, label_selector: str) -> list[str]:
    """The solver's HTTPRoutes; none where the cluster has no Gateway API."""
    try:
        listed = await kube.custom.list_namespaced_custom_object(
            constants.GATEWAY_GROUP,
            constants.GATEWAY_VERSION,
            namespace,
            constants.HTTPROUTES,
            label_selector=label_selector,
        )
    except ApiException as exc:
        if exc.status == 404:
            return []
        raise
    return [item["metadata"]["name"] for item in listed["items"]]


def _create_httproute(kube: Kube, namespace: str, body: Mapping[str, Any], **options: Any) -> Awaitable[Any]:
    return kube.custom.create_namespaced_custom_object(
        constants.GATEWAY_GROUP, constants.GATEWAY_VERSION, namespace, constants.HTTPROUTES, body, **options
    )


def _delete_httproutes(kube: Kube, namespace: str, **options: Any) -> Awaitable[Any]:
    return kube.custom.delete_collection_namespaced_custom_object(
        constants.GATEWAY_GROUP, constants.GATEWAY_VERSION, namespace, constants.HTTPROUTES, **options
    )


def _delete_httproute(kube: Kube, name: str, namespace: str, **options: Any) -> Awaitable[Any]:
    return kube.custom.delete_namespaced_custom_object(
        constants.GATEWAY_GROUP, constants.GATEWAY_VERSION, namespace, constants.HTTPROUTES, name, **options
    )
