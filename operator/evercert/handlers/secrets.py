"""Managed tls Secrets (label-filtered watch, no change handlers, no kopf index): what each holds, as
facts, in the SecretStore; a change (a hand edit, say) asks its Certificate to look again and repair it."""

from __future__ import annotations

from typing import Any

import kopf

from .. import constants
from ..runtime import Runtime

MANAGED = {constants.LABEL_MANAGED_BY: constants.MANAGED_BY}


def _is_tls(body: kopf.Body, **_: Any) -> bool:
    return body.get("type") == constants.TLS_SECRET_TYPE


@kopf.on.event("", "v1", "secrets", labels=MANAGED, when=_is_tls)
async def tls_secret_event(body: kopf.Body, memo: kopf.Memo, type: str | None, **_: Any) -> None:
    runtime: Runtime = memo.runtime
    namespace, name = body.metadata.namespace, body.metadata.name
    if type == "DELETED":
        runtime.secrets.forget(namespace, name)
    else:
        runtime.secrets.observe(body)


@kopf.on.event("", "v1", "secrets", labels=MANAGED)
async def managed_secret_changed(body: kopf.Body, memo: kopf.Memo, type: str | None, **_: Any) -> None:
    if type is None:  # the initial listing: every Certificate gets its first look anyway
        return
    owner = (body.metadata.annotations or {}).get(constants.ANNOTATION_CERTIFICATE_NAME)
    if owner:
        runtime: Runtime = memo.runtime
        runtime.look_again((body.metadata.namespace, owner))
