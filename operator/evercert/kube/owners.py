"""Owner references: one builder, so garbage collection sees the same shape everywhere."""

from __future__ import annotations

from typing import Any


def controller_reference(
    api_version: str, kind: str, name: str, uid: str, *, block_owner_deletion: bool = True
) -> dict[str, Any]:
    """A controller reference; without blockOwnerDeletion where evercert may not update the owner's
    finalizers (a user's Ingress)."""
    reference: dict[str, Any] = {
        "apiVersion": api_version,
        "kind": kind,
        "name": name,
        "uid": uid,
        "controller": True,
    }
    if block_owner_deletion:
        reference["blockOwnerDeletion"] = True
    return reference
