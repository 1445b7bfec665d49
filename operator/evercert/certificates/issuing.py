"""One issuance, step by step: next key, order, HTTP-01, finalize, write the tls Secret, clean up.

Every step can be interrupted (crash, restart) and resumed: the next key lives in its own Secret
until the certificate is written, and the order URL is kept in the Certificate's status."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import faults
from ..acme import order as acme_order
from ..acme.threads import Blocking
from ..api.certificate import CertificateSpec
from ..core.clock import Clock
from ..core.errors import IssuedKeyMismatch
from ..issuers.session import AcmeSession
from ..kube.client import Kube
from ..pki import build_csr, key_matches_certificate, public_key_id
from ..settings import Settings
from ..solver import presenting
from . import next_key, ordering
from .outputs import NO_PASSWORDS, Passwords
from .owner import certificate_owner
from .quota import OrderQuota
from .status import StoredOrder
from .tls_secret import SecretContents, build_tls_secret, read_contents, write_tls_secret


@dataclass(frozen=True)
class IssuanceParts:
    """What an issuance uses besides its ACME session."""

    kube: Kube
    clock: Clock
    blocking: Blocking
    settings: Settings


async def issue(
    parts: IssuanceParts,
    session: AcmeSession,
    spec: CertificateSpec,
    stored_order: StoredOrder | None,
    secret: Mapping[str, Any] | None,
    recorder: ordering.OrderRecorder,
    replaces: str | None = None,
    quota: OrderQuota | None = None,
    passwords: Passwords = NO_PASSWORDS,
) -> SecretContents:
    """Run (or resume) one issuance to the end; returns what the tls Secret now holds.

    `secret` is the tls Secret as read at the look (None: absent); it is written over only if it has
    not changed since (its resourceVersion goes with the write)."""
    resuming = stored_order is not None
    key_pem, key = await next_key.next_private_key(parts.kube, spec, secret, resuming)
    faults.checkpoint("key-created")
    csr_pem = build_csr(key, spec.dns_names, spec.common_name, spec.ip_addresses)
    order = await ordering.resume_or_create(
        session, spec, stored_order, csr_pem, public_key_id(key), replaces, recorder, quota
    )
    faults.checkpoint("order-created")
    deadline = parts.clock.now() + datetime.timedelta(seconds=parts.settings.issuance_deadline_seconds)
    solver = session.issuer.solvers[0]
    try:
        await _authorize(parts, session, spec, order, deadline)
        chain_pem = await ordering.finalize(session, order, csr_pem, deadline)
        faults.checkpoint("finalized")
    finally:
        await presenting.clean_up(parts.kube, spec.namespace, spec.name, solver)
    if not key_matches_certificate(key_pem, chain_pem):
        raise IssuedKeyMismatch("the CA returned a certificate that does not match the private key")
    body = build_tls_secret(
        spec,
        issuer_name=session.issuer.name,
        issuer_kind=session.issuer.kind,
        chain_pem=chain_pem,
        key_pem=key_pem,
        existing=secret,
        owner_reference=certificate_owner(spec) if parts.settings.certificate_owner_ref else None,
        passwords=passwords,
    )
    await write_tls_secret(parts.kube, body)
    faults.checkpoint("secret-written")
    await next_key.discard_next_key(parts.kube, spec)
    return read_contents(body)


async def _authorize(
    parts: IssuanceParts,
    session: AcmeSession,
    spec: CertificateSpec,
    order: acme_order.OrderSnapshot,
    deadline: datetime.datetime,
) -> None:
    """Solve every pending HTTP-01 challenge of the order, all names at once."""
    if order.status != "pending":
        return
    client = await session.client()
    tasks = await parts.blocking(acme_order.pending_http01_tasks, client, order)
    solver = session.issuer.solvers[0]
    image = parts.settings.solver_image
    requests = [presenting.solver_request(spec, solver, task, image) for task in tasks]
    await presenting.present(parts.kube, requests)
    faults.checkpoint("solvers-created")
    timeout = max(1.0, (deadline - parts.clock.now()).total_seconds())
    await presenting.check_routes(requests, parts.settings.self_check_address, timeout)
    for task in tasks:
        await parts.blocking(acme_order.answer_challenge, client, task)
    faults.checkpoint("challenge-answered")
    await parts.blocking(acme_order.wait_for_authorizations, client, order, deadline)


async def remove_leftovers(kube: Kube, spec: CertificateSpec) -> None:
    """Delete solver objects and the next-key Secret once a certificate is in place."""
    await presenting.clean_up(kube, spec.namespace, spec.name)
    await next_key.discard_next_key(kube, spec)
