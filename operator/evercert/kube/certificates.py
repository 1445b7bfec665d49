"""Certificate objects: read and list (status, kubectl evercert), and as the ingress-shim writes them.

Writes that lose a race (409) or find the object gone (404) return False instead of raising: the
watch event that the other write caused brings the shim back with fresh data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from ..core import constants
from .client import MERGE_PATCH, Kube

_CERTIFICATES = (constants.GROUP, constants.VERSION)


async def read_certificate(kube: Kube, namespace: str, name: str) -> dict[str, Any] | None:
    try:
        body = await kube.custom.get_namespaced_custom_object(
            *_CERTIFICATES, namespace, constants.CERTIFICATES, name
        )
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
    return dict(body)


async def list_certificates(
    kube: Kube, namespace: str | None, label_selector: str | None = None
) -> list[dict[str, Any]]:
    """Every Certificate in the namespace (all namespaces when it is None), of the label selector if any."""
    selected = {"label_selector": label_selector} if label_selector else {}
    if namespace is None:
        listed = await kube.custom.list_cluster_custom_object(
            *_CERTIFICATES, constants.CERTIFICATES, **selected
        )
    else:
        listed = await kube.custom.list_namespaced_custom_object(
            *_CERTIFICATES, namespace, constants.CERTIFICATES, **selected
        )
    return [dict(item) for item in listed.get("items") or []]


async def create_certificate(kube: Kube, body: Mapping[str, Any]) -> bool:
    """Create it; False when one of that name exists already."""
    namespace = body["metadata"]["namespace"]
    return await _unless_lost(
        kube.custom.create_namespaced_custom_object(*_CERTIFICATES, namespace, constants.CERTIFICATES, body)
    )


async def replace_certificate(kube: Kube, body: Mapping[str, Any]) -> bool:
    """Replace it, guarded by the body's resourceVersion; False when it changed or went meanwhile."""
    metadata = body["metadata"]
    return await _unless_lost(
        kube.custom.replace_namespaced_custom_object(
            *_CERTIFICATES, metadata["namespace"], constants.CERTIFICATES, metadata["name"], body
        )
    )


async def delete_certificate(kube: Kube, namespace: str, name: str, uid: str) -> bool:
    """Delete exactly that object (by uid): a new one of the same name is left alone."""
    options = client.V1DeleteOptions(preconditions=client.V1Preconditions(uid=uid))
    return await _unless_lost(
        kube.custom.delete_namespaced_custom_object(
            *_CERTIFICATES, namespace, constants.CERTIFICATES, name, body=options
        )
    )


async def patch_certificate_conditions(
    kube: Kube, body: Mapping[str, Any], conditions: Sequence[Mapping[str, Any]]
) -> bool:
    """Set status.conditions, guarded by the body's resourceVersion (the list is replaced whole)."""
    metadata = body["metadata"]
    patch = {
        "metadata": {"resourceVersion": metadata["resourceVersion"]},
        "status": {"conditions": [dict(c) for c in conditions]},
    }
    return await _unless_lost(
        kube.custom.patch_namespaced_custom_object_status(
            *_CERTIFICATES,
            metadata["namespace"],
            constants.CERTIFICATES,
            metadata["name"],
            patch,
            _content_type=MERGE_PATCH,
        )
    )


async def _unless_lost(request: Any) -> bool:
    try:
        await request
    except ApiException as exc:
        if exc.status in (404, 409):
            return False
        raise
    return True
