"""kopf's per-object records (handlers/event_only.py): dropped after each event for resources that have
nothing but event handlers, kept where kopf reads them again or where a handler or an error left
something in them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import kopf
import pytest
from kopf._cogs.configs.configuration import OperatorSettings
from kopf._cogs.structs import ephemera, references
from kopf._core.actions import lifecycles
from kopf._core.engines.indexing import OperatorIndexers
from kopf._core.intents.registries import OperatorRegistry
from kopf._core.reactor import inventory, processing

from evercert.handlers import event_only

CERTIFICATES = references.Resource("evercert.dev", "v1", "certificates", namespaced=True)
ISSUERS = references.Resource("evercert.dev", "v1", "issuers", namespaced=True)


def registry_with(*setups: Callable[[OperatorRegistry], Any]) -> OperatorRegistry:
    registry = OperatorRegistry()
    for setup in setups:
        setup(registry)
    return registry


def on_event(resource: references.Resource) -> Callable[[OperatorRegistry], Any]:
    return lambda registry: kopf.on.event(
        resource.group, resource.version, resource.plural, registry=registry
    )(lambda **_: None)


def indexed(resource: references.Resource) -> Callable[[OperatorRegistry], Any]:
    return lambda registry: kopf.index(resource.group, resource.version, resource.plural, registry=registry)(
        lambda **_: None
    )


def resumed(resource: references.Resource) -> Callable[[OperatorRegistry], Any]:
    return lambda registry: kopf.on.resume(
        resource.group, resource.version, resource.plural, registry=registry
    )(lambda **_: None)


def test_only_resources_with_nothing_but_event_handlers_qualify() -> None:
    registry = registry_with(on_event(CERTIFICATES), on_event(ISSUERS), resumed(ISSUERS))
    assert event_only.events_only(registry, CERTIFICATES)
    assert not event_only.events_only(registry, ISSUERS)
    assert not event_only.events_only(
        registry_with(on_event(CERTIFICATES), indexed(CERTIFICATES)), CERTIFICATES
    )
    assert not event_only.events_only(registry_with(), CERTIFICATES)


def body(uid: str) -> dict[str, Any]:
    return {"metadata": {"uid": uid, "name": uid, "namespace": "shop"}}


async def handle(
    monkeypatch: pytest.MonkeyPatch,
    registry: OperatorRegistry,
    resource: references.Resource,
    store: inventory.ResourceMemories,
    memobase: ephemera.Memo,
    uid: str,
    leave: Callable[[inventory.ResourceMemory], None] = lambda memory: None,
) -> None:
    """One event through the installed processor, with kopf's own step replaced by a recall that can
    leave something behind in the object's record."""

    async def process(
        *, memories: inventory.ResourceMemories, raw_event: Any, memobase: Any, **_: Any
    ) -> None:
        leave(await memories.recall(raw_event["object"], memobase=memobase))

    monkeypatch.setattr(event_only, "_process", process)
    await event_only._process_then_forget(
        registry=registry,
        memories=store,
        resource=resource,
        raw_event={"type": "MODIFIED", "object": body(uid)},
        memobase=memobase,
    )


async def test_records_are_dropped_after_the_event_unless_something_is_left_in_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry = registry_with(on_event(CERTIFICATES), on_event(ISSUERS), resumed(ISSUERS))
    store, memobase = inventory.ResourceMemories(), ephemera.Memo(runtime=object())
    run = (monkeypatch, registry)

    await handle(*run, CERTIFICATES, store, memobase, "plain")
    await handle(*run, ISSUERS, store, memobase, "issuer")
    await handle(*run, CERTIFICATES, store, memobase, "memo", lambda m: m.memo.__setitem__("seen", 1))
    await handle(
        *run,
        CERTIFICATES,
        store,
        memobase,
        "backoff",
        lambda m: setattr(m.error_throttler, "active_until", 9.0),
    )

    assert set(store._items) == {"issuer", "memo", "backoff"}


async def run_through_kopf(registry: OperatorRegistry, resource: references.Resource, uid: str) -> int:
    """One event through kopf's own processing (with evercert's changes installed); how many times kopf
    built an object's essence for diffing."""
    settings = OperatorSettings()
    built = 0
    build = settings.persistence.diffbase_storage.build

    def counted(**kwargs: Any) -> Any:
        nonlocal built
        built += 1
        return build(**kwargs)

    settings.persistence.diffbase_storage.build = counted  # type: ignore[method-assign]
    await processing.process_resource_event(
        lifecycle=lifecycles.all_at_once,
        registry=registry,
        settings=settings,
        indexers=OperatorIndexers(),
        memories=inventory.ResourceMemories(),
        memobase=ephemera.Memo(),
        resource=resource,
        raw_event={"type": "MODIFIED", "object": body(uid)},
        event_queue=asyncio.Queue(),
    )
    return built


async def test_kopf_calls_the_event_handlers_without_diffing_kinds_that_have_nothing_else() -> None:
    seen: list[tuple[str, str]] = []
    registry = OperatorRegistry()
    for resource in (CERTIFICATES, ISSUERS):
        kopf.on.event(resource.group, resource.version, resource.plural, registry=registry)(
            lambda body, resource=resource, **_: seen.append((resource.plural, body["metadata"]["uid"]))
        )
    kopf.on.resume(ISSUERS.group, ISSUERS.version, ISSUERS.plural, registry=registry)(lambda **_: None)

    assert await run_through_kopf(registry, CERTIFICATES, "c1") == 0
    assert await run_through_kopf(registry, ISSUERS, "i1") == 1
    assert seen == [("certificates", "c1"), ("issuers", "i1")]
