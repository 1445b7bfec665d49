"""What a pass writes beside status: a Serve step carried out (the Secret written again when only its
outputs changed, what an attempt left cleaned), and the copies of the Secret in the namespaces that
opt in (spec.secretCopies) brought in line with it, right after the source in the same pass."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from ..api.certificate import CertificateSpec
from ..copies import report as copies_report
from ..copies import sync as copies_sync
from ..issuers.lookup import IssuerLookup
from . import issuing, transitions
from .facts import Facts
from .parts import PassParts
from .steps import Serve
from .tls_secret import SecretContents, rewrite_outputs
from .writes import apply


async def serve(
    parts: PassParts,
    body: Mapping[str, Any],
    facts: Facts,
    step: Serve,
    issuers: IssuerLookup,
    served: copies_sync.ServedLookup,
) -> datetime.datetime | None:
    """A good certificate is served: its outputs as the spec asks, its copies, then status."""
    look = step.look
    if step.rewrite_outputs:  # a format, keystore or password changed: no new certificate for that
        await rewrite_outputs(parts.kube, look.spec, step.passwords)
    assert look.served is not None
    await sync_copies(parts, body, look.spec, look.served, served)
    if step.remove_leftovers:
        await issuing.remove_leftovers(parts.issuance, look.spec, facts.status.order, issuers)
    now = parts.clock.now()
    serving = (
        transitions.issued(facts.status, look, now)
        if step.issued_before_crash
        else transitions.ready(facts.status, look, now)
    )
    await apply(parts, body, serving)
    return serving.wake


async def sync_copies(
    parts: PassParts,
    body: Mapping[str, Any],
    spec: CertificateSpec,
    source: SecretContents,
    served: copies_sync.ServedLookup,
) -> None:
    """Copies of the Secret in the namespaces that opt in (spec.secretCopies), and what status says."""
    previous = (body.get("status") or {}).get(copies_report.STATUS_FIELD)
    if spec.secret_copies is None and not previous:
        return
    outcome = await copies_sync.sync_copies(parts.kube, spec, source, parts.copy_namespaces, served)
    await apply(parts, body, copies_report.report(previous, outcome))
