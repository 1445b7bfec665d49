"""Managed Secrets (label-filtered watch, no change handlers, no kopf index): what each tls Secret holds,
as facts, in the SecretStore; a change (a hand edit, say) asks its Certificate to look again and repair
it; reload re-plans the namespace's workloads."""

from __future__ import annotations

from typing import Any

import kopf

from ..core import constants
from ..runtime import Runtime
from . import workloads

MANAGED = {constants.LABEL_MANAGED_BY: constants.MANAGED_BY}


@kopf.on.event("", "v1", "secrets", labels=MANAGED)
async def managed_secret_event(
    body: kopf.Body, memo: kopf.Memo, type: str | None, reloadable_workloads: workloads.Workloads, **_: Any
) -> None:
    """One kopf handler for every step a Secret event takes (kopf's cost is per handler called): the
    SecretStore, a look by the Certificate that writes it, then reload."""
    runtime: Runtime = memo.runtime
    namespace, name = body.metadata.namespace, body.metadata.name
    if body.get("type") == constants.TLS_SECRET_TYPE:
        if type == "DELETED":
            runtime.secrets.forget(namespace, name)
        else:
            runtime.secrets.observe(body)
    if type is None:  # the initial listing: every Certificate gets its first look anyway
        return
    # A change (a hand edit, say) asks its Certificate to look again and repair it.
    owner = (body.metadata.annotations or {}).get(constants.ANNOTATION_CERTIFICATE_NAME)
    if owner:
        runtime.look_again((namespace, owner))
    await workloads.secret_changed(body, memo, type, reloadable_workloads)
