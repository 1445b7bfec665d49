"""Kinds with nothing but event handlers (evercert's Certificates and tls Secrets, 10,000 of each on a
large fleet): kopf's work for change handlers and daemons, skipped where it has no reader.

- kopf keeps a record of every object it has seen (a memo, an error throttler, daemon and indexing
  state, about 0.9 KB) until the object is deleted. For these kinds it never reads it again after the
  event is handled, so it is dropped then, unless it still throttles errors.
- For every event kopf builds the object's "essence" (a deep copy) and diffs it with the last one it
  handled, for change handlers and daemons only: for these kinds only the event's cause is detected.

A kind with an index, a daemon, a timer or a change handler is handled by kopf as it is. Installed
once, when the handlers are imported (kopf binds its event processor later, in `kopf.run`).
"""

from __future__ import annotations

import weakref
from typing import Any

from kopf import Resource

from ..kube.kopf_internals import OperatorRegistry, causes, inventory, processing

_process = processing.process_resource_event
_detect_causes = processing._detect_causes


# Asked twice per event; kopf's handlers are all registered when evercert.handlers is imported.
_kinds: weakref.WeakKeyDictionary[OperatorRegistry, dict[Resource, bool]] = weakref.WeakKeyDictionary()


def events_only(registry: OperatorRegistry, resource: Resource) -> bool:
    """True when `resource` has event handlers and no handler that reads kopf's memory again."""
    known = _kinds.setdefault(registry, {})
    if resource not in known:
        others = (registry._indexing, registry._spawning, registry._changing, registry._webhooks)
        watched = registry._watching.has_handlers(resource)
        known[resource] = watched and not any(r.has_handlers(resource) for r in others)
    return known[resource]


def idle(memory: inventory.ResourceMemory, memobase: Any) -> bool:
    """Nothing in the record outlives the event: no error backoff, patch or daemon, and the memo is
    still the operator's own (kopf gives each object a copy of it)."""
    daemons = memory.daemons_memory
    memo = memory.memo
    return (
        memory.error_throttler.active_until is None
        and memory.error_throttler.source_of_delays is None
        and memory.remaining_patch is None
        and not daemons.running_daemons
        and not daemons.forever_stopped
        and daemons.live_fresh_body is None
        and isinstance(memo, dict)
        and isinstance(memobase, dict)
        and memo.keys() == memobase.keys()
        and all(memo[key] is memobase[key] for key in memo)
    )


async def _process_then_forget(
    *,
    registry: OperatorRegistry,
    memories: inventory.ResourceMemories,
    resource: Resource,
    raw_event: Any,
    **kwargs: Any,
) -> str | None:
    try:
        return await _process(
            registry=registry, memories=memories, resource=resource, raw_event=raw_event, **kwargs
        )
    finally:
        body = raw_event.get("object") or {}
        memory = memories._items.get(memories._build_key(body)) if body.get("metadata") else None
        if memory is not None and events_only(registry, resource) and idle(memory, kwargs.get("memobase")):
            await memories.forget(body)


def _detect_event_cause(
    *,
    indexers: Any,
    registry: OperatorRegistry,
    resource: Resource,
    raw_event: Any,
    body: Any,
    patch: Any,
    memory: inventory.ResourceMemory,
    local_logger: Any,
    **kwargs: Any,
) -> Any:
    if not events_only(registry, resource):
        return _detect_causes(
            indexers=indexers,
            registry=registry,
            resource=resource,
            raw_event=raw_event,
            body=body,
            patch=patch,
            memory=memory,
            local_logger=local_logger,
            **kwargs,
        )
    watching = causes.detect_watching_cause(
        raw_event=raw_event,
        resource=resource,
        indices=indexers.indices,
        logger=local_logger,
        patch=patch,
        body=body,
        memo=memory.memo,
    )
    return processing._Causes(watching, None, None)


def install() -> None:
    # __wrapped__: kube/kopf_internals.py checks kopf's own functions, not these replacements.
    _process_then_forget.__wrapped__ = _process  # type: ignore[attr-defined]
    _detect_event_cause.__wrapped__ = _detect_causes  # type: ignore[attr-defined]
    processing.process_resource_event = _process_then_forget  # type: ignore[assignment]
    processing._detect_causes = _detect_event_cause  # type: ignore[assignment]
