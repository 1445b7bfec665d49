"""Posting Events: a recorder passed in, so the code that decides what to say is tested without kopf."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import kopf


class EventRecorder(Protocol):
    def post(self, target_ref: Mapping[str, Any], type: str, reason: str, message: str) -> None:
        """Post an Event about the object `target_ref` (apiVersion, kind, metadata name/namespace/uid)."""
        ...


class KopfEvents:
    """kopf's Event poster: queued and sent in the background."""

    def post(self, target_ref: Mapping[str, Any], type: str, reason: str, message: str) -> None:
        kopf.event(dict(target_ref), type=type, reason=reason, message=message)


def object_ref(
    api_version: str, kind: str, name: str, uid: str | None, namespace: str | None
) -> dict[str, Any]:
    """The smallest body kopf needs to name an Event's object."""
    metadata: dict[str, Any] = {"name": name, "uid": uid}
    if namespace:
        metadata["namespace"] = namespace
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata}
