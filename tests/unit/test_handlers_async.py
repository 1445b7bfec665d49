"""Every evercert handler runs on the event loop: kopf runs sync handlers in worker threads, where
setting an asyncio.Event or cancelling a task is unsafe (and each call costs a thread hop)."""

from __future__ import annotations

import inspect

import kopf

import evercert.handlers  # noqa: F401  (registers the handlers)


def evercert_handlers() -> list[object]:
    registry = kopf.get_default_registry()
    names = ("_activities", "_indexing", "_watching", "_spawning", "_changing")
    parts = [getattr(registry, name) for name in names]
    found = [handler.fn for part in parts for handler in part.get_all_handlers()]
    return [fn for fn in found if getattr(fn, "__module__", "").startswith("evercert.")]


def test_all_handlers_are_coroutines() -> None:
    handlers = evercert_handlers()
    assert len(handlers) >= 10  # the registry was read: certificates, issuers, secrets, ingresses, startup
    sync = [f"{fn.__module__}.{fn.__qualname__}" for fn in handlers if not inspect.iscoroutinefunction(fn)]
    assert sync == []
