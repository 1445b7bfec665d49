"""What converting one cert-manager object gave: evercert's body, or why it cannot move."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Conversion:
    """One cert-manager object: `body` is evercert's (None when it cannot move, then `refusal` says why);
    `notes` name what was written out explicitly or left behind."""

    kind: str
    namespace: str | None
    name: str
    body: Mapping[str, Any] | None = None
    refusal: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def moved(self) -> bool:
        return self.body is not None

    @property
    def where(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


def refused(kind: str, namespace: str | None, name: str, reason: str) -> Conversion:
    return Conversion(kind, namespace, name, refusal=reason)
