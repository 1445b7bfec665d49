"""The one module that imports kopf's private modules (`kopf._…`). kopf promises nothing about them, so
every private name evercert uses is listed in RELIED with the shape it is used in, and `breaches()`
compares that with the installed kopf (tests/unit/test_kopf_fence.py fails naming each change).
KOPF_VERSION is the kopf these were checked against; pyproject.toml and the lock files pin it.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
import inspect
import re
from dataclasses import dataclass

from kopf._cogs.aiokits.aiotoggles import Toggle, ToggleSet
from kopf._cogs.structs.references import match_namespace, select_specific_namespaces
from kopf._core.intents import causes
from kopf._core.intents.registries import OperatorRegistry
from kopf._core.reactor import inventory, processing

KOPF_VERSION = "1.45.2"

__all__ = [
    "KOPF_VERSION",
    "RELIED",
    "OperatorRegistry",
    "Toggle",
    "ToggleSet",
    "breaches",
    "causes",
    "inventory",
    "match_namespace",
    "processing",
    "select_specific_namespaces",
]


@dataclass(frozen=True)
class Relied:
    """A private name: its signature (parameter names, kinds and defaults) or the attributes evercert
    reads or sets on it (dataclass or named-tuple fields, or what its __init__ assigns)."""

    path: str
    used_by: str
    signature: str | None = None
    attributes: tuple[str, ...] = ()


_EVENT_ONLY = "handlers/event_only.py"
_READINESS = "handlers/readiness.py"
_LISTING = "kube/listing.py"
_PROCESSING = "kopf._core.reactor.processing"
_INVENTORY = "kopf._core.reactor.inventory"
_TOGGLES = "kopf._cogs.aiokits.aiotoggles"

RELIED: tuple[Relied, ...] = (
    Relied(
        f"{_PROCESSING}.process_resource_event",
        _EVENT_ONLY,
        "(lifecycle, indexers, registry, settings, memories, memobase, resource, raw_event, event_queue, "
        "stream_pressure=None, operator_paused=None, resource_indexed=None, operator_indexed=None, "
        "consistency_time=None, no_throttling=False)",
    ),
    Relied(
        f"{_PROCESSING}._detect_causes",
        _EVENT_ONLY,
        "(indexers, registry, settings, resource, raw_event, body, patch, memory, local_logger, "
        "event_logger)",
    ),
    Relied(
        f"{_PROCESSING}._Causes",
        _EVENT_ONLY,
        attributes=("watching_cause", "spawning_cause", "changing_cause"),
    ),
    Relied("kopf._core.intents.causes.detect_watching_cause", _EVENT_ONLY, "(raw_event, body, **kwargs)"),
    Relied(
        "kopf._core.intents.registries.OperatorRegistry",
        _EVENT_ONLY,
        attributes=("_indexing", "_watching", "_spawning", "_changing", "_webhooks"),
    ),
    Relied("kopf._core.intents.registries.ResourceRegistry.has_handlers", _EVENT_ONLY, "(self, resource)"),
    Relied(
        f"{_INVENTORY}.ResourceMemory",
        _EVENT_ONLY,
        attributes=("memo", "error_throttler", "daemons_memory", "remaining_patch"),
    ),
    Relied(
        "kopf._core.actions.throttlers.Throttler",
        _EVENT_ONLY,
        attributes=("active_until", "source_of_delays"),
    ),
    Relied(
        "kopf._core.engines.daemons.DaemonsMemory",
        _EVENT_ONLY,
        attributes=("running_daemons", "forever_stopped", "live_fresh_body"),
    ),
    Relied(f"{_INVENTORY}.ResourceMemories", _EVENT_ONLY, attributes=("_items",)),
    Relied(f"{_INVENTORY}.ResourceMemories._build_key", _EVENT_ONLY, "(self, raw_body)"),
    Relied(f"{_INVENTORY}.ResourceMemories.forget", _EVENT_ONLY, "(self, raw_body)"),
    Relied(
        f"{_TOGGLES}.Toggle.__init__",
        _READINESS,
        "(self, _Toggle__state=False, *, name=None, condition=None)",
    ),
    Relied(f"{_TOGGLES}.ToggleSet", _READINESS, attributes=("_condition", "_toggles")),
    Relied(f"{_TOGGLES}.ToggleSet.is_on", _READINESS, "(self)"),
    Relied(f"{_TOGGLES}.ToggleSet.make_toggle", _READINESS, "(self, _ToggleSet__val=False, *, name=None)"),
    Relied(f"{_TOGGLES}.ToggleSet.drop_toggle", _READINESS, "(self, toggle)"),
    Relied(f"{_TOGGLES}.ToggleSet.drop_toggles", _READINESS, "(self, toggles)"),
    Relied("kopf._cogs.structs.references.match_namespace", _LISTING, "(name, pattern)"),
    Relied("kopf._cogs.structs.references.select_specific_namespaces", _LISTING, "(patterns)"),
)


def _lookup(path: str) -> object:
    """The object at a dotted path: the longest importable module, then attributes."""
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            found = getattr(found, name)
        # What evercert replaced (handlers/event_only.py, readiness.py) is checked as kopf made it.
        return found if isinstance(found, type) else inspect.unwrap(found)  # type: ignore[arg-type]
    raise ImportError(path)


def bare_signature(function: object) -> str:
    """The signature without annotations: what a caller by keyword and a replacement must agree on."""
    signature = inspect.signature(function)  # type: ignore[arg-type]
    bare = [p.replace(annotation=inspect.Parameter.empty) for p in signature.parameters.values()]
    return str(signature.replace(parameters=bare, return_annotation=inspect.Signature.empty))


def attributes_of(cls: type) -> set[str]:
    if dataclasses.is_dataclass(cls):
        return {f.name for f in dataclasses.fields(cls)}
    if hasattr(cls, "_fields"):
        return set(cls._fields)
    source = inspect.getsource(cls.__init__)
    return set(re.findall(r"self\.(\w+)\s*(?::[^=\n]+)?=", source))


def breaches(relied_on: tuple[Relied, ...] = RELIED) -> list[str]:
    """One sentence per private name that the installed kopf no longer has in the shape relied on."""
    installed = importlib.metadata.version("kopf")
    found: list[str] = []
    for relied in relied_on:
        where = f"kopf {installed}: {relied.path} (used by evercert/{relied.used_by})"
        try:
            target = _lookup(relied.path)
        except (ImportError, AttributeError):
            found.append(f"{where} is gone")
            continue
        if relied.signature is not None and (now := bare_signature(target)) != relied.signature:
            found.append(f"{where}: its signature was {relied.signature} and is now {now}")
        if relied.attributes and isinstance(target, type):
            missing = sorted(set(relied.attributes) - attributes_of(target))
            if missing:
                found.append(f"{where}: it no longer has {', '.join(missing)}")
    return found
