"""Posting Events: a recorder is passed in, so code that posts them is tested with a recording fake."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import kopf


class EventRecorder(Protocol):
    def post(self, target_ref: Mapping[str, Any], type: str, reason: str, message: str) -> None:
        """Post an Event about `target_ref`: an object's body, or its apiVersion, kind and metadata."""
        ...


class KopfEvents:
    """Events through kopf's poster, which sends them in the background as the operator."""

    def post(self, target_ref: Mapping[str, Any], type: str, reason: str, message: str) -> None:
        kopf.event(target_ref, type=type, reason=reason, message=message)
