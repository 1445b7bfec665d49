"""Names Kubernetes must accept: long ones are cut and made unique again with a short digest."""

from __future__ import annotations

import hashlib

MAX_OBJECT_NAME = 253
MAX_LABEL_VALUE = 63


def digest(text: str, length: int = 10) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def bounded_name(base: str, limit: int, suffix: str = "") -> str:
    """`base + suffix` when it fits in `limit` characters, else base cut short + '-' + a digest of base."""
    if len(base) + len(suffix) <= limit:
        return base + suffix
    tail = f"-{digest(base)}{suffix}"
    return base[: limit - len(tail)] + tail
