"""Managed Secrets (label-filtered watch, no change handlers): what each tls Secret holds, as facts,
for the looks; a change (a hand edit, say) asks its Certificate to look again and repair it."""

from __future__ import annotations

from typing import Any

import kopf

from .. import constants
from ..certificates.tls_secret import SecretContents, read_contents
from ..runtime import Runtime

MANAGED = {constants.LABEL_MANAGED_BY: constants.MANAGED_BY}


def _is_tls(body: kopf.Body, **_: Any) -> bool:
    return body.get("type") == constants.TLS_SECRET_TYPE


@kopf.index("", "v1", "secrets", labels=MANAGED, when=_is_tls)
async def tls_secrets_index(body: kopf.Body, **_: Any) -> dict[tuple[str, str], SecretContents]:
    return {(body.metadata.namespace, body.metadata.name): read_contents(body)}


@kopf.on.event("", "v1", "secrets", labels=MANAGED)
async def managed_secret_changed(body: kopf.Body, memo: kopf.Memo, type: str | None, **_: Any) -> None:
    if type is None:  # the initial listing: every Certificate gets its first look anyway
        return
    owner = (body.metadata.annotations or {}).get(constants.ANNOTATION_CERTIFICATE_NAME)
    if owner:
        runtime: Runtime = memo.runtime
        runtime.look_again((body.metadata.namespace, owner))
