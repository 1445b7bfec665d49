"""One issuance, step by step: next key, order, challenges (authorizing.py), finalize, write the tls
Secret, clean up.

Every step can be interrupted (crash, restart) and resumed: the next key lives in its own Secret
until the certificate is written, and the order URL is kept in the Certificate's status."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from .. import faults
from ..api.certificate import CertificateSpec
from ..api.dns01 import Dns01Solver
from ..api.issuer import IssuerSpec
from ..core.errors import IssuedKeyMismatch
from ..issuers.lookup import IssuerLookup
from ..issuers.session import AcmeSession
from ..pki import build_csr, key_matches_certificate, public_key_id
from ..solver import presenting
from . import authorizing, dns01_records, next_key, ordering
from .owner import certificate_owner
from .parts import IssuanceParts
from .quota import OrderQuota
from .status import StoredOrder
from .tls_secret import SecretContents, build_tls_secret, read_contents, write_tls_secret


async def issue(
    parts: IssuanceParts,
    session: AcmeSession,
    spec: CertificateSpec,
    stored_order: StoredOrder | None,
    secret: Mapping[str, Any] | None,
    recorder: ordering.OrderRecorder,
    replaces: str | None = None,
    quota: OrderQuota | None = None,
    waiting: authorizing.WaitingPatch | None = None,
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
    dns = dns01_records.for_attempt(parts, spec, session.issuer, stored_order)
    settings = parts.settings
    try:
        await authorizing.authorize(
            parts.kube,
            session,
            spec,
            order,
            deadline,
            dns,
            settings.self_check_address,
            settings.solver_image,
            waiting,
        )
        chain_pem = await ordering.finalize(session, order, csr_pem, deadline)
        faults.checkpoint("finalized")
    finally:
        await presenting.clean_up(parts.kube, spec.namespace, spec.name, _http01_solver(session.issuer))
        await dns.clean_up()
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
    )
    await write_tls_secret(parts.kube, body)
    faults.checkpoint("secret-written")
    await next_key.discard_next_key(parts.kube, spec)
    return read_contents(body)


async def remove_leftovers(
    parts: IssuanceParts, spec: CertificateSpec, order: StoredOrder | None, issuers: IssuerLookup
) -> None:
    """Delete solver objects, DNS-01 values and the next-key Secret once a certificate is in place."""
    await presenting.clean_up(parts.kube, spec.namespace, spec.name)
    if order is not None and order.dns_records:
        await dns01_records.remove_left(parts, issuers, spec, order)
    await next_key.discard_next_key(parts.kube, spec)


def _http01_solver(issuer: IssuerSpec) -> Any:
    """The first HTTP-01 solver (a user's Ingress it edits is cleaned up through it), if any."""
    return next((s for s in issuer.solvers if not isinstance(s, Dns01Solver)), None)
