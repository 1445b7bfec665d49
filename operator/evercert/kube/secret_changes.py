"""A watch of the keystore password Secrets (users' Secrets, labelled by evercert when a Certificate
names one): which one changed.

kopf's watch of Secrets sees only evercert's own. This one is selected by constants.LABEL_KEYSTORE_PASSWORD
on the server, so no other user Secret reaches the operator, and asks for PartialObjectMetadata: the
password itself is read by name at the look."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

import aiohttp
from kubernetes_asyncio.client.exceptions import ApiException

from ..core import constants
from .client import Kube
from .kopf_internals import select_specific_namespaces

log = logging.getLogger(__name__)
METADATA_ONLY = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"
SELECTOR = f"{constants.LABEL_KEYSTORE_PASSWORD}=true"
SERVER_TIMEOUT_SECONDS = 300
RETRY_SECONDS = 5.0
Changed = Callable[[str, str], None]


async def watch_secret_changes(kube: Kube, namespaces: Iterable[str], changed: Changed) -> None:
    """Call `changed(namespace, name)` for every password Secret's event, until cancelled: one watch
    per namespace when the operator serves named namespaces, else one cluster-wide."""
    namespaces = list(namespaces)
    specific = namespaces and set(namespaces) == set(select_specific_namespaces(namespaces))
    scopes: list[str | None] = list(namespaces) if specific else [None]
    await asyncio.gather(*(_watch(kube, scope, changed) for scope in scopes))


async def _watch(kube: Kube, namespace: str | None, changed: Changed) -> None:
    resource_version: str | None = None
    while True:
        try:
            resource_version = await _stream(kube, namespace, resource_version, changed)
        except asyncio.CancelledError:
            raise
        except (ApiException, aiohttp.ClientError, OSError, TimeoutError, ValueError, KeyError) as exc:
            log.warning(
                "watch of keystore password Secrets broke; watching again", extra={"error": repr(exc)}
            )
            await asyncio.sleep(RETRY_SECONDS)


async def _stream(
    kube: Kube, namespace: str | None, resource_version: str | None, changed: Changed
) -> str | None:
    """One watch request; returns the resourceVersion to go on from (None: start afresh)."""
    core = kube.core
    call: Any = (
        core.list_secret_for_all_namespaces
        if namespace is None
        else lambda **kw: core.list_namespaced_secret(namespace, **kw)
    )
    extra = {"resource_version": resource_version} if resource_version else {}
    response = await call(
        watch=True,
        label_selector=SELECTOR,
        allow_watch_bookmarks=True,
        timeout_seconds=SERVER_TIMEOUT_SECONDS,
        _headers={"Accept": METADATA_ONLY},
        _preload_content=False,
        _request_timeout=SERVER_TIMEOUT_SECONDS + 30,
        **extra,
    )
    async with response:
        async for line in response.content:
            if not line.strip():
                continue
            event = json.loads(line)
            obj = event.get("object") or {}
            if event.get("type") == "ERROR":
                return None  # 410 Gone, say: the next request starts from now
            meta = obj.get("metadata") or {}
            resource_version = meta.get("resourceVersion") or resource_version
            if event.get("type") != "BOOKMARK":
                changed(meta.get("namespace") or "", meta["name"])
    return resource_version
