"""Leases kept in memory with the API's optimistic concurrency (resourceVersion), and failures on demand."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from evercert.leadership.policy import Lease, parse_lease


class MemoryLeases:
    """The Leases of one namespace, shared by every member of a test (each through its own `Flaky`)."""

    def __init__(self) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self._versions = itertools.count(1)

    def _stored(self, body: dict[str, Any]) -> Lease:
        stored = {**body, "metadata": {**body["metadata"], "resourceVersion": str(next(self._versions))}}
        self.objects[body["metadata"]["name"]] = stored
        return parse_lease(stored)

    async def list(self) -> list[Lease]:
        return [parse_lease(obj) for obj in self.objects.values()]

    async def create(self, body: dict[str, Any]) -> Lease | None:
        if body["metadata"]["name"] in self.objects:
            return None
        return self._stored(body)

    async def replace(self, body: dict[str, Any]) -> Lease | None:
        current = self.objects.get(body["metadata"]["name"])
        expected = body["metadata"].get("resourceVersion")
        if current is None or current["metadata"]["resourceVersion"] != expected:
            return None
        return self._stored(body)

    async def delete(self, name: str, resource_version: str) -> None:
        current = self.objects.get(name)
        if current is not None and current["metadata"]["resourceVersion"] == resource_version:
            del self.objects[name]

    def holder(self, name: str) -> str:
        return str(self.objects[name]["spec"]["holderIdentity"])


class Flaky:
    """A member's view of the store: `broken` makes every request fail, `freeze()` makes them hang."""

    def __init__(self, store: MemoryLeases) -> None:
        self.store = store
        self.broken = False
        self._flowing = asyncio.Event()
        self._flowing.set()

    def freeze(self) -> None:
        self._flowing.clear()

    async def _gate(self) -> None:
        if self.broken:
            raise ConnectionError("the API is unreachable from this member")
        await self._flowing.wait()

    async def list(self) -> list[Lease]:
        await self._gate()
        return await self.store.list()

    async def create(self, body: dict[str, Any]) -> Lease | None:
        await self._gate()
        return await self.store.create(body)

    async def replace(self, body: dict[str, Any]) -> Lease | None:
        await self._gate()
        return await self.store.replace(body)

    async def delete(self, name: str, resource_version: str) -> None:
        await self._gate()
        await self.store.delete(name, resource_version)
