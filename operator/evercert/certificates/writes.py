"""A pass's status writes: a merge patch remembered until the body shows it, its Event, its metrics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..kube.client import patch_certificate_status
from . import reporting
from .parts import PassParts
from .transitions import Transition


async def apply(parts: PassParts, body: Mapping[str, Any], transition: Transition) -> None:
    meta = body.get("metadata") or {}
    if transition.patch:
        await patch_status(parts, meta["namespace"], meta["name"], transition.patch)
    if transition.event is not None:
        event = transition.event
        parts.events.post(body, event.type, event.reason, event.message)
    reporting.observe(body, transition.patch)


async def patch_status(parts: PassParts, namespace: str, name: str, patch: Mapping[str, Any]) -> None:
    """Merge-patch the status, remembered until the body shows it (see own_writes.py)."""
    await patch_certificate_status(parts.kube, namespace, name, patch)
    parts.own_writes.wrote(namespace, name, patch)
