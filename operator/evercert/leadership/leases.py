"""Lease objects in the API (coordination.k8s.io/v1), written with optimistic concurrency."""

from __future__ import annotations

from typing import Any, Protocol

from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from ..kube.client import Kube, with_timeout
from . import shards
from .policy import Lease, parse_lease


class LeaseStore(Protocol):
    """The few requests an elector makes; None answers "someone else wrote it first"."""

    async def list(self) -> list[Lease]: ...

    async def create(self, body: dict[str, Any]) -> Lease | None: ...

    async def replace(self, body: dict[str, Any]) -> Lease | None: ...

    async def delete(self, name: str, resource_version: str) -> None: ...


class KubeLeases:
    """The Leases of one set (label `evercert.dev/lease-set`) in one namespace, each request timed."""

    def __init__(self, kube: Kube, namespace: str, prefix: str = shards.PREFIX, timeout: float = 5.0) -> None:
        self._kube = kube
        self._namespace = namespace
        self._prefix = prefix
        # Short: a renewal that cannot finish well inside the renew deadline is as good as failed.
        self._api = with_timeout(client.CoordinationV1Api(kube.api), timeout)

    def _lease(self, model: Any) -> Lease:
        return parse_lease(self._kube.to_dict(model))

    async def list(self) -> list[Lease]:
        selector = shards.selector(self._prefix)
        found = await self._api.list_namespaced_lease(self._namespace, label_selector=selector)
        return [self._lease(item) for item in found.items]

    async def create(self, body: dict[str, Any]) -> Lease | None:
        try:
            return self._lease(await self._api.create_namespaced_lease(self._namespace, body))
        except ApiException as exc:
            if exc.status == 409:  # AlreadyExists: another member created it first
                return None
            raise

    async def replace(self, body: dict[str, Any]) -> Lease | None:
        name = body["metadata"]["name"]
        try:
            return self._lease(await self._api.replace_namespaced_lease(name, self._namespace, body))
        except ApiException as exc:
            if exc.status in (404, 409):  # deleted, or written by someone else since we read it
                return None
            raise

    async def delete(self, name: str, resource_version: str) -> None:
        """Delete it only if nobody wrote it since `resource_version` was read."""
        body = {"preconditions": {"resourceVersion": resource_version}}
        try:
            await self._api.delete_namespaced_lease(name, self._namespace, body=body)
        except ApiException as exc:
            if exc.status not in (404, 409):
                raise
