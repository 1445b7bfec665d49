"""An in-memory stand-in for the custom objects API of one kind, as the apiserver guards it: uids,
resourceVersion preconditions on replace and status patch, uid preconditions on delete."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping
from typing import Any

from kubernetes_asyncio.client.exceptions import ApiException


class FakeCustomObjects:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}
        self.requests: list[str] = []  # the method of each request, in order
        self.failures: list[int] = []  # statuses the next requests fail with, one each
        self._versions = itertools.count(1)

    def put(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Store an object as the apiserver would after creating it."""
        stored = copy.deepcopy(dict(body))
        metadata = stored["metadata"]
        metadata.setdefault("uid", f"uid-{metadata['name']}-{next(self._versions)}")
        metadata.setdefault("generation", 1)
        metadata["resourceVersion"] = str(next(self._versions))
        self.objects[(metadata["namespace"], metadata["name"])] = stored
        return copy.deepcopy(stored)

    def get(self, namespace: str, name: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.objects.get((namespace, name)))

    def _request(self, method: str) -> None:
        self.requests.append(method)
        if self.failures:
            raise ApiException(status=self.failures.pop(0))

    def _current(self, namespace: str, name: str) -> dict[str, Any]:
        if (namespace, name) not in self.objects:
            raise ApiException(status=404)
        return self.objects[(namespace, name)]

    async def get_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, name: str
    ) -> dict[str, Any]:
        self._request("get")
        return copy.deepcopy(self._current(namespace, name))

    async def create_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        self._request("create")
        if (namespace, body["metadata"]["name"]) in self.objects:
            raise ApiException(status=409)
        return self.put(body)

    async def replace_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, name: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        self._request("replace")
        current = self._current(namespace, name)
        if body["metadata"].get("resourceVersion") != current["metadata"]["resourceVersion"]:
            raise ApiException(status=409)
        replaced = copy.deepcopy(dict(body))
        replaced["status"] = current.get("status")
        return self.put(replaced)

    async def delete_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, name: str, body: Any = None
    ) -> None:
        self._request("delete")
        current = self._current(namespace, name)
        preconditions = getattr(body, "preconditions", None)
        if preconditions is not None and preconditions.uid != current["metadata"]["uid"]:
            raise ApiException(status=409)
        del self.objects[(namespace, name)]

    async def patch_namespaced_custom_object_status(
        self,
        group: str,
        version: str,
        namespace: str,
        plural: str,
        name: str,
        patch: Mapping[str, Any],
        **_: Any,
    ) -> dict[str, Any]:
        self._request("patch_status")
        current = self._current(namespace, name)
        if patch["metadata"]["resourceVersion"] != current["metadata"]["resourceVersion"]:
            raise ApiException(status=409)
        patched = copy.deepcopy(current)
        patched["status"] = {**(current.get("status") or {}), **patch["status"]}
        return self.put(patched)


class FakeKube:
    """Just enough of evercert.kube.client.Kube for code that writes custom objects."""

    def __init__(self) -> None:
        self.custom = FakeCustomObjects()
