"""The status writes a Certificate's look made, until its body (a watch event later) shows them.

A Certificate looked at again right after its own writes (woken by the Secret it just wrote, say)
must not act on a body from before them: it would see the finished order still in status."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


def shows(actual: Any, written: Any) -> bool:
    """True when `actual` holds what a merge patch of `written` made of it (None: the field is gone).

    A list shows when it holds every item written: the ingress-shim may have added a condition since."""
    if isinstance(written, list):
        return isinstance(actual, list) and all(item in actual for item in written)
    if isinstance(written, Mapping):
        if not isinstance(actual, Mapping):
            return False
        return all(
            key not in actual if value is None else shows(actual.get(key), value)
            for key, value in written.items()
        )
    return bool(actual == written)


@dataclass
class OwnWrites:
    """The status each Certificate's look wrote, until its body shows it."""

    written: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    changed: dict[tuple[str, str], asyncio.Event] = field(default_factory=dict)

    def wrote(self, namespace: str, name: str, status: Mapping[str, Any]) -> None:
        self.written.setdefault((namespace, name), {}).update(status)

    def body_changed(self, namespace: str, name: str) -> None:
        event = self.changed.get((namespace, name))
        if event is not None:
            event.set()

    async def caught_up(self, namespace: str, name: str, status: Callable[[], Any], timeout: float) -> bool:
        """Wait (at most `timeout`) until `status()` shows every write; False when it did not in time."""
        key = (namespace, name)
        written = self.written.pop(key, None)
        if not written:
            return True
        event = self.changed.setdefault(key, asyncio.Event())
        deadline = asyncio.get_running_loop().time() + timeout
        try:
            while not shows(status() or {}, written):
                event.clear()
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    return False
                try:
                    await asyncio.wait_for(event.wait(), remaining)
                except TimeoutError:
                    return False
            return True
        finally:
            self.changed.pop(key, None)

    def forget(self, namespace: str, name: str) -> None:
        self.written.pop((namespace, name), None)
        self.changed.pop((namespace, name), None)
