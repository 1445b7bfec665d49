"""What the scheduler runs for one Certificate: its body from the store, once that body shows the
look's own status writes, then one pass of the loop."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import metrics
from ..api.issuer import IssuerKey
from ..issuers.lookup import first_in_index
from .loop import reconcile
from .store import Key

if TYPE_CHECKING:
    from ..runtime import Runtime

log = logging.getLogger(__name__)
# How long a look waits for its body to show its own status writes before it looks anyway.
OWN_WRITES_SECONDS = 5.0

Index = Mapping[Any, Iterable[Any]]


@dataclass
class Indexes:
    """kopf's in-memory indexes of Issuers the looks read (kopf fills them before any handler runs)."""

    issuers: Index = field(default_factory=dict)
    cluster_issuers: Index = field(default_factory=dict)

    def issuer(self, key: IssuerKey) -> Mapping[str, Any] | None:
        return first_in_index(self.cluster_issuers if key.kind == "ClusterIssuer" else self.issuers, key)


def work_for(runtime: Runtime) -> Callable[[Key], Any]:
    async def look(key: Key) -> datetime.datetime | None:
        namespace, name = key
        current = runtime.certificates.get(key)
        if current is None or not runtime.serving.serves(namespace, name):
            return None  # another replica's (a shard gained later brings a look)
        caught_up = await runtime.own_writes.caught_up(
            namespace, name, lambda: (runtime.certificates.get(key) or {}).get("status"), OWN_WRITES_SECONDS
        )
        if not caught_up:
            log.warning("status writes not seen in time", extra={"certificate": f"{namespace}/{name}"})
        # After a start, the Secrets' facts are complete once the watch has brought every one.
        await runtime.secrets.priming.wait()
        body = runtime.certificates.looking(key)
        if body is None:
            return None
        try:
            return await reconcile(runtime, body, runtime.indexes.issuer, runtime.secrets.served)
        finally:
            runtime.heap.work_done()
            if runtime.scheduler is not None:
                metrics.set_scheduler(runtime.scheduler.depth, runtime.scheduler.in_flight)

    return look
