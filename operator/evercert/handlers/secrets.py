"""Managed Secrets (label-filtered watch, no change handlers): a hand edit wakes the owner to repair it."""

from __future__ import annotations

from typing import Any

import kopf

from .. import constants
from ..runtime import Runtime


@kopf.on.event("", "v1", "secrets", labels={constants.LABEL_MANAGED_BY: constants.MANAGED_BY})
async def managed_secret_changed(body: kopf.Body, memo: kopf.Memo, type: str | None, **_: Any) -> None:
    if type is None:  # the initial listing: the daemons look at their Secrets anyway
        return
    owner = (body.metadata.annotations or {}).get(constants.ANNOTATION_CERTIFICATE_NAME)
    if owner:
        runtime: Runtime = memo.runtime
        runtime.wakeups.wake(body.metadata.namespace, owner)
