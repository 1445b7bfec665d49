"""Names of objects as one cheap LIST gives them: metadata only, in chunks, never whole bodies."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import Any

from ..core import constants
from .client import Kube
from .kopf_internals import match_namespace, select_specific_namespaces

Key = tuple[str, str]
# The apiserver answers with PartialObjectMetadataList: no data, no spec, no status.
METADATA_ONLY = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
CHUNK = 500
TLS_SECRETS = f"type={constants.TLS_SECRET_TYPE}"
MANAGED = f"{constants.LABEL_MANAGED_BY}={constants.MANAGED_BY}"


async def names(list_call: Callable[..., Awaitable[Any]]) -> set[Key]:
    """(namespace, name) of every object a list call returns, page by page."""
    found: set[Key] = set()
    token: str | None = None
    while True:
        extra = {"_continue": token} if token else {}
        response = await list_call(
            limit=CHUNK, _headers={"Accept": METADATA_ONLY}, _preload_content=False, **extra
        )
        page = json.loads(await response.read())
        for item in page.get("items") or []:
            meta = item.get("metadata") or {}
            found.add((meta.get("namespace") or "", meta["name"]))
        token = (page.get("metadata") or {}).get("continue")
        if not token:
            return found


async def managed_tls_secrets(kube: Kube, namespaces: Iterable[str] = ()) -> set[Key]:
    """evercert's tls Secrets, cluster-wide or in the operator's namespaces."""
    core, selectors = kube.core, {"label_selector": MANAGED, "field_selector": TLS_SECRETS}
    return await _in_scope(
        namespaces,
        lambda ns: partial(core.list_namespaced_secret, ns, **selectors),
        partial(core.list_secret_for_all_namespaces, **selectors),
    )


async def certificates(kube: Kube, namespaces: Iterable[str] = ()) -> set[Key]:
    """Every Certificate, cluster-wide or in the operator's namespaces."""
    custom, kind = kube.custom, (constants.GROUP, constants.VERSION)
    return await _in_scope(
        namespaces,
        lambda ns: partial(custom.list_namespaced_custom_object, *kind, ns, constants.CERTIFICATES),
        partial(custom.list_cluster_custom_object, *kind, constants.CERTIFICATES),
    )


async def _in_scope(
    namespaces: Iterable[str],
    in_namespace: Callable[[str], Callable[..., Awaitable[Any]]],
    everywhere: Callable[..., Awaitable[Any]],
) -> set[Key]:
    """One LIST per namespace when they are all names; one cluster-wide LIST when there are none, or
    when one is a pattern (`team-*`, `!kube-*`: kopf watches what matches), kept to what matches."""
    namespaces = list(namespaces)
    if namespaces and set(namespaces) == set(select_specific_namespaces(namespaces)):
        return await _union(in_namespace(ns) for ns in namespaces)
    found = await names(everywhere)
    if not namespaces:
        return found
    return {key for key in found if any(match_namespace(key[0], pattern) for pattern in namespaces)}


async def _union(calls: Iterable[Callable[..., Awaitable[Any]]]) -> set[Key]:
    found: set[Key] = set()
    for call in calls:
        found |= await names(call)
    return found
