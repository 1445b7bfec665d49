"""An Event recorder that keeps what was posted, for tests of code that posts Events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Posted:
    kind: str
    name: str
    type: str
    reason: str
    message: str


@dataclass
class RecordedEvents:
    posted: list[Posted] = field(default_factory=list)

    def post(self, target_ref: Mapping[str, Any], type: str, reason: str, message: str) -> None:
        metadata = target_ref["metadata"]
        self.posted.append(Posted(target_ref["kind"], metadata["name"], type, reason, message))

    def reasons(self) -> list[tuple[str, str, str]]:
        """(kind, name, reason) of each Event, in the order posted."""
        return [(p.kind, p.name, p.reason) for p in self.posted]
