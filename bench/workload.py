"""What the bench asks of the cluster: Certificates (tracked until Ready) and unrelated Secrets."""

from __future__ import annotations

import asyncio
import base64
import os
import time
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from kubernetes_asyncio import client, watch

GROUP, VERSION, PLURAL = "evercert.dev", "v1", "certificates"
ISSUER = "local-pebble"

Key = tuple[str, str]


def certificate(namespace: str, name: str, private_key: dict[str, Any] | None = None) -> dict[str, Any]:
    """A plain one-name Certificate from the local Pebble, with the defaults users get (ECDSA P-256) unless
    `private_key` (its spec.privateKey) says otherwise."""
    manifest: dict[str, Any] = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Certificate",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "secretName": f"{name}-tls",
            "dnsNames": [f"{name}.{namespace}.example.org"],
            "issuerRef": {"name": ISSUER, "kind": "ClusterIssuer"},
        },
    }
    if private_key is not None:
        manifest["spec"]["privateKey"] = private_key
    return manifest


async def bounded(jobs: Iterable[Awaitable[Any]], concurrency: int) -> None:
    """Await every job, at most `concurrency` at a time."""
    gate = asyncio.Semaphore(concurrency)

    async def one(job: Awaitable[Any]) -> None:
        async with gate:
            await job

    await asyncio.gather(*(one(job) for job in jobs))


async def create_namespace(api: client.ApiClient, name: str) -> None:
    try:
        await client.CoreV1Api(api).create_namespace({"metadata": {"name": name}})
    except client.ApiException as exc:
        if exc.status != 409:
            raise


async def create_certificates(
    api: client.ApiClient, namespace: str, names: list[str], private_key: dict[str, Any] | None = None
) -> None:
    custom = client.CustomObjectsApi(api)
    jobs = (
        custom.create_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, certificate(namespace, n, private_key)
        )
        for n in names
    )
    await bounded(jobs, concurrency=16)


async def create_unrelated_secrets(api: client.ApiClient, namespace: str, count: int, kib: int) -> None:
    """`count` Opaque Secrets of `kib` KiB of random data each, nothing evercert should care about."""
    core = client.CoreV1Api(api)

    def body(index: int) -> dict[str, Any]:
        blob = base64.b64encode(os.urandom(kib * 1024)).decode()
        return {"metadata": {"name": f"noise-{index:05d}", "namespace": namespace}, "data": {"blob": blob}}

    await bounded((core.create_namespaced_secret(namespace, body(i)) for i in range(count)), concurrency=32)


def _ready(obj: dict[str, Any]) -> bool:
    conditions = (obj.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


@dataclass
class CertificateTracker:
    """Watches every Certificate; remembers when each was first seen Ready, its status.revision, the
    order URLs its status named (one per issuance, unless an order was placed twice) and which have an
    order in flight now."""

    api: client.ApiClient
    ready_at: dict[Key, float] = field(default_factory=dict)
    revisions: dict[Key, int] = field(default_factory=dict)
    orders: dict[Key, set[str]] = field(default_factory=dict)
    ordering: set[Key] = field(default_factory=set)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        custom = client.CustomObjectsApi(self.api)
        while True:
            try:
                listed = await custom.list_cluster_custom_object(GROUP, VERSION, PLURAL)
                for obj in listed["items"]:
                    self._see(obj)
                stream = watch.Watch().stream(
                    custom.list_cluster_custom_object,
                    GROUP,
                    VERSION,
                    PLURAL,
                    resource_version=listed["metadata"]["resourceVersion"],
                    timeout_seconds=3600,
                )
                async with stream:
                    async for event in stream:
                        if event["type"] in ("ADDED", "MODIFIED"):
                            self._see(event["object"])
            except (aiohttp.ClientError, TimeoutError, client.ApiException):
                await asyncio.sleep(0.5)

    def _see(self, obj: dict[str, Any]) -> None:
        key = (obj["metadata"]["namespace"], obj["metadata"]["name"])
        status = obj.get("status") or {}
        self.revisions[key] = int(status.get("revision") or 0)
        url = (status.get("order") or {}).get("url")
        if url:
            self.orders.setdefault(key, set()).add(url)
            self.ordering.add(key)
        else:
            self.ordering.discard(key)
        if key not in self.ready_at and _ready(obj):
            self.ready_at[key] = time.monotonic()
            self.changed.set()

    async def wait_ready(self, keys: Iterable[Key], timeout: float) -> float:
        """Wait until every key has been seen Ready; returns when the last one was."""
        wanted = list(keys)
        pending = set(wanted)
        deadline = time.monotonic() + timeout
        while True:
            pending = {k for k in pending if k not in self.ready_at}
            if not pending:
                return max((self.ready_at[k] for k in wanted), default=time.monotonic())
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{len(pending)} Certificates not Ready after {timeout:.0f} s")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except TimeoutError:
                continue
