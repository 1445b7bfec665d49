"""What the copies need from the watches: every namespace's labels, and which Certificates copy their
Secret (so that a namespace's change asks only those for a look)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..api.copies import asks_for_copies
from .report import STATUS_FIELD

Key = tuple[str, str]


class CopyRegistry:
    def __init__(self) -> None:
        self.namespaces: dict[str, dict[str, str]] = {}
        self.sources: set[Key] = set()

    def observe_namespace(self, name: str, labels: Mapping[str, str]) -> bool:
        """Keep the namespace's labels; True when they changed (or the namespace is new)."""
        labels = dict(labels)
        changed = self.namespaces.get(name) != labels
        self.namespaces[name] = labels
        return changed

    def forget_namespace(self, name: str) -> bool:
        return self.namespaces.pop(name, None) is not None

    def observe_certificate(self, key: Key, body: Mapping[str, Any]) -> None:
        """A source while it asks for copies, or its status still lists some."""
        if asks_for_copies(body) or (body.get("status") or {}).get(STATUS_FIELD):
            self.sources.add(key)
        else:
            self.sources.discard(key)

    def forget_certificate(self, key: Key) -> None:
        self.sources.discard(key)
