"""What the scheduler runs for one Certificate: its body from the store, once that body shows the
look's own status writes, then one pass of the loop."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from typing import Any

from ..issuers.lookup import IssuerLookup
from .loop import reconcile
from .parts import PassParts
from .secret_store import SecretStore
from .store import CertificateStore, Key

log = logging.getLogger(__name__)
# How long a look waits for its body to show its own status writes before it looks anyway.
OWN_WRITES_SECONDS = 5.0


def work_for(
    parts: PassParts,
    certificates: CertificateStore,
    secrets: SecretStore,
    lookup: IssuerLookup,
    serves: Callable[[str, str], bool],
    after: Callable[[], None],
) -> Callable[[Key], Any]:
    """The scheduler's work for a Certificate; `after` runs after each pass (metrics, heap)."""

    async def look(key: Key) -> datetime.datetime | None:
        namespace, name = key
        current = certificates.get(key)
        if current is None or not serves(namespace, name):
            return None  # another replica's (a shard gained later brings a look)
        caught_up = await parts.own_writes.caught_up(
            namespace, name, lambda: (certificates.get(key) or {}).get("status"), OWN_WRITES_SECONDS
        )
        if not caught_up:
            log.warning("status writes not seen in time", extra={"certificate": f"{namespace}/{name}"})
        # After a start, the Secrets' facts are complete once the watch has brought every one.
        await secrets.priming.wait()
        body = certificates.looking(key)
        if body is None:
            return None
        try:
            return await reconcile(parts, body, lookup, secrets.served)
        finally:
            after()

    return look
