"""Namespaces (an event handler: no kopf state is written on them): their labels say which accept
copies of which namespace's Secrets; a change asks the Certificates that make copies for a look."""

from __future__ import annotations

from typing import Any

import kopf

from ..runtime import Runtime


@kopf.on.event("", "v1", "namespaces")
async def namespace_event(type: str | None, body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    runtime: Runtime = memo.runtime
    name = body.metadata.name
    if type == "DELETED":
        changed = runtime.copies.forget_namespace(name)
    else:
        changed = runtime.copies.observe_namespace(name, body.metadata.labels or {})
    if changed:
        for key in list(runtime.copies.sources):
            runtime.look_again(key)
