"""What `kubectl evercert migrate` reads: cert-manager's objects, the tls Secrets, evercert's objects and
Secrets that exist, annotated Ingresses and Gateways, and the signs of cert-manager's controller at work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from ..core import constants
from ..kube.client import Kube, answer, read_secret
from . import activity
from .issuers import secret_refs
from .plan import Inventory

CM = (constants.CERT_MANAGER_GROUP, constants.CERT_MANAGER_VERSION)
OURS = (constants.GROUP, constants.VERSION)


async def controller_signs(kube: Kube) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """cert-manager's leader-election Lease and its controller Deployments (none where not allowed)."""
    return await lease(kube), await _list(
        kube.apps.list_deployment_for_all_namespaces, activity.DEPLOYMENT_SELECTOR
    )


async def read_inventory(
    kube: Kube, namespace: str | None, cert_manager_namespace: str, evercert_namespace: str
) -> Inventory:
    cluster_issuers = await _custom(kube, CM, constants.CLUSTER_ISSUERS, None)
    secret_names = {_secret_name(ref) for issuer in cluster_issuers for ref, _, _ in secret_refs(issuer)}
    secret_names.discard("")
    cm_secrets = {
        name: await read_secret(kube, cert_manager_namespace, name) for name in sorted(secret_names)
    }
    ours = {name: await read_secret(kube, evercert_namespace, name) for name in sorted(secret_names)}
    existing: dict[tuple[str, str | None, str], Mapping[str, Any]] = {}
    for kind, plural, scope in (
        ("ClusterIssuer", constants.CLUSTER_ISSUERS, None),
        ("Issuer", constants.ISSUERS, namespace),
        ("Certificate", constants.CERTIFICATES, namespace),
    ):
        for body in await _custom(kube, OURS, plural, scope, cluster_scoped=kind == "ClusterIssuer"):
            meta = body.get("metadata") or {}
            existing[(kind, meta.get("namespace"), meta["name"])] = body
    tls = await _secrets(kube, namespace)
    return Inventory(
        issuers=await _custom(kube, CM, constants.ISSUERS, namespace),
        cluster_issuers=cluster_issuers,
        certificates=await _custom(kube, CM, constants.CERTIFICATES, namespace),
        secrets={(s["metadata"]["namespace"], s["metadata"]["name"]): s for s in tls},
        existing=existing,
        cert_manager_secrets={k: v for k, v in cm_secrets.items() if v is not None},
        evercert_secrets={k: v for k, v in ours.items() if v is not None},
        shim_sources=await _shim_sources(kube, namespace),
    )


def _secret_name(ref: Mapping[str, Any]) -> str:
    return str(ref.get("name") or "")


async def _custom(
    kube: Kube, group: tuple[str, str], plural: str, namespace: str | None, *, cluster_scoped: bool = False
) -> list[dict[str, Any]]:
    """Every object of a custom kind; none when its CRD is not installed."""
    try:
        if namespace is None or cluster_scoped or plural == constants.CLUSTER_ISSUERS:
            listed = await kube.custom.list_cluster_custom_object(*group, plural)
        else:
            listed = await kube.custom.list_namespaced_custom_object(*group, namespace, plural)
    except ApiException as exc:
        if exc.status == 404:
            return []
        raise
    return [dict(item) for item in listed.get("items") or []]


async def _secrets(kube: Kube, namespace: str | None) -> list[dict[str, Any]]:
    selector = f"type={constants.TLS_SECRET_TYPE}"
    if namespace is None:
        call = kube.core.list_secret_for_all_namespaces(field_selector=selector, _preload_content=False)
    else:
        call = kube.core.list_namespaced_secret(namespace, field_selector=selector, _preload_content=False)
    return list((await answer(call)).get("items") or [])


async def _shim_sources(kube: Kube, namespace: str | None) -> list[dict[str, Any]]:
    if namespace is None:
        call = kube.networking.list_ingress_for_all_namespaces(_preload_content=False)
    else:
        call = kube.networking.list_namespaced_ingress(namespace, _preload_content=False)
    ingresses = [{"kind": "Ingress", **item} for item in (await answer(call)).get("items") or []]
    gateways = await _custom(
        kube, (constants.GATEWAY_GROUP, constants.GATEWAY_VERSION), constants.GATEWAYS, namespace
    )
    return ingresses + [{"kind": "Gateway", **item} for item in gateways]


async def lease(kube: Kube) -> dict[str, Any] | None:
    api = client.CoordinationV1Api(kube.api)
    try:
        return dict(
            await answer(
                api.read_namespaced_lease(
                    activity.LEASE_NAME,
                    activity.LEASE_NAMESPACE,
                    _preload_content=False,
                    _request_timeout=kube.timeout,
                )
            )
        )
    except ApiException as exc:
        if exc.status in (403, 404):
            return None
        raise


async def _list(call: Callable[..., Awaitable[Any]], selector: str) -> list[dict[str, Any]]:
    try:
        return list((await answer(call(label_selector=selector, _preload_content=False))).get("items") or [])
    except ApiException as exc:
        if exc.status == 403:
            return []
        raise
