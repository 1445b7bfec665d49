"""The shim at work: each event re-plans the whole namespace from what is indexed now, so the outcome
never depends on the order of events; API errors are retried a little later."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from kubernetes_asyncio.client.exceptions import ApiException

from ..core.clock import Clock
from ..core.retry import RETRY_AFTER_API_ERROR
from ..events import EventRecorder
from ..kube.client import Kube
from . import writes
from .bodies import existing_certificate
from .model import INGRESS, ExistingCertificate, ShimRequest, Source
from .plan import Action, Delete, Report, Write, concerns_shim, plan

log = logging.getLogger(__name__)

# namespace → values, read afresh at every sync: kopf's index of requests, the Certificates in the store
Requests = Mapping[str, Collection[ShimRequest]]


class Certificates(Protocol):
    def get(self, namespace: str, default: Any = ..., /) -> Collection[ExistingCertificate]: ...


@dataclass
class LastReported:
    """What was last reported per key, so that a Warning is posted once per change, not once per event."""

    messages: dict[Hashable, str] = field(default_factory=dict)

    def remember(self, key: Hashable, message: str | None) -> str | None:
        """Remember what holds now (nothing: None or ""); the message when it is news to post."""
        if not message:
            self.messages.pop(key, None)
            return None
        if self.messages.get(key) == message:
            return None
        self.messages[key] = message
        return message


@dataclass
class ShimState:
    """In memory only: one plan at a time per namespace; what was last reported, so Events don't repeat."""

    locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    conflicts: LastReported = field(default_factory=LastReported)  # by (namespace, Certificate name)
    problems: LastReported = field(default_factory=LastReported)  # by Ingress (Gateway) uid
    retries: dict[str, asyncio.Task[None]] = field(default_factory=dict)  # at most one per namespace

    def close(self) -> None:
        for task in self.retries.values():
            task.cancel()


class Shim:
    """Keeps a namespace's Certificates as its Ingresses (or Gateways: `source`) ask, with what it is given
    to write and post."""

    def __init__(
        self,
        state: ShimState,
        kube: Kube,
        recorder: EventRecorder,
        clock: Clock,
        retry_after: float = RETRY_AFTER_API_ERROR.total_seconds(),
        source: Source = INGRESS,
    ) -> None:
        self.source = source
        self.state = state
        self.kube = kube
        self.recorder = recorder
        self.clock = clock
        self.retry_after = retry_after

    async def owner_changed(
        self, body: Mapping[str, Any], requests: Requests, certificates: Certificates
    ) -> None:
        """Warn the object when what is wrong with it changed (a deleted one has nothing), then sync."""
        namespace, uid = body["metadata"]["namespace"], body["metadata"]["uid"]
        request = next((r for r in requests.get(namespace, ()) if r.owner.uid == uid), None)
        news = self.state.problems.remember(uid, "; ".join(request.problems if request else ()))
        if news:
            writes.warn_invalid(self.recorder, body, news, self.source)
        await self.sync(namespace, requests, certificates)

    async def certificate_changed(
        self, body: Mapping[str, Any], requests: Requests, certificates: Certificates
    ) -> None:
        namespace = body["metadata"]["namespace"]
        if concerns_shim(existing_certificate(body, self.source), requests.get(namespace, ())):
            await self.sync(namespace, requests, certificates)

    async def sync(self, namespace: str, requests: Requests, certificates: Certificates) -> None:
        """Plan the namespace from the indexes as they are now, and carry the plan out."""
        async with self.state.locks.setdefault(namespace, asyncio.Lock()):
            existing = {c.name: c for c in certificates.get(namespace, ())}
            try:
                for action in plan(list(requests.get(namespace, ())), existing, self.source):
                    await self._carry_out(namespace, action)
            except ApiException as exc:
                log.warning(
                    "Kubernetes API error in the shim; retrying soon",
                    extra={"namespace": namespace, "status": exc.status, "kind": self.source.kind},
                )
                self._retry_later(namespace, requests, certificates)

    async def _carry_out(self, namespace: str, action: Action) -> None:
        match action:
            case Write():
                await writes.write(self.kube, namespace, action, self.source)
            case Delete():
                await writes.delete(self.kube, namespace, action)
            case Report():
                await self._report_conflict(namespace, action)

    async def _report_conflict(self, namespace: str, report: Report) -> None:
        """The conflict condition on the Certificate; a Warning on it and on each object involved, once."""
        current = await writes.set_conflict(self.kube, namespace, report, self.clock.now(), self.source)
        if current is None:
            return
        news = self.state.conflicts.remember((namespace, report.certificate.name), report.message)
        if news:
            writes.warn_conflict(self.recorder, current, report.owners, namespace, news, self.source)

    def _retry_later(self, namespace: str, requests: Requests, certificates: Certificates) -> None:
        if namespace in self.state.retries:
            return

        async def retry() -> None:
            await asyncio.sleep(self.retry_after)
            del self.state.retries[namespace]
            await self.sync(namespace, requests, certificates)

        self.state.retries[namespace] = asyncio.create_task(retry())
