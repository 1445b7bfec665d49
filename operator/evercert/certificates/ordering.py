"""The ACME order of one issuance: resume the stored one when it still fits, else create one; finalize."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ..acme import order as acme_order
from ..api.certificate import CertificateSpec
from ..api.issuer import IssuerSpec
from ..errors import AcmeFailure
from ..issuers.session import AcmeSession
from .quota import OrderQuota
from .status import StoredOrder

log = logging.getLogger(__name__)
DEAD_ORDER_STATES = ("invalid", "expired", "deactivated")
RecordOrder = Callable[[StoredOrder], Awaitable[None]]


def issuer_label(issuer: IssuerSpec) -> str:
    return f"{issuer.kind}/{issuer.name}"


def order_matches(order: StoredOrder | None, spec: CertificateSpec, issuer: IssuerSpec, key_id: str) -> bool:
    """A stored order is only resumed for the same names from the same issuer with the same key.

    The key check matters when the body in hand is a little behind: it may still show the order of
    the issuance that just finished, whose certificate is for the previous key."""
    return (
        order is not None
        and list(order.dns_names) == list(spec.identifiers)
        and order.issuer == issuer_label(issuer)
        and (order.key_id is None or order.key_id == key_id)  # orders stored without keyId: as before
    )


async def resume_or_create(
    session: AcmeSession,
    spec: CertificateSpec,
    stored: StoredOrder | None,
    csr_pem: bytes,
    key_id: str,
    replaces: str | None,
    record: RecordOrder,
    quota: OrderQuota | None = None,
) -> acme_order.OrderSnapshot:
    """The order to work on; a new one is recorded (status.order) before anything else happens to it.

    A new order without `replaces` takes a token of the account's order quota first."""
    client = await session.client()
    blocking = session.runtime.blocking
    if stored is not None and order_matches(stored, spec, session.issuer, key_id):
        try:
            order = await blocking(acme_order.load_order, client, stored.url)
        except AcmeFailure as exc:
            if exc.transient:  # the CA is unwell, not the order: keep it for the next attempt
                raise
            log.info("stored order could not be loaded; creating a new one", extra={"error": exc.message})
        else:
            if order.status not in DEAD_ORDER_STATES:
                return order
    try:
        order = await _create(session, csr_pem, replaces, quota)
    except AcmeFailure:
        if replaces is None:
            raise
        # e.g. alreadyReplaced, or a CA that no longer knows the old certificate: order without it.
        order = await _create(session, csr_pem, None, quota)
    await record(StoredOrder(order.url, spec.identifiers, issuer_label(session.issuer), key_id))
    return order


async def _create(
    session: AcmeSession, csr_pem: bytes, replaces: str | None, quota: OrderQuota | None
) -> acme_order.OrderSnapshot:
    client = await session.client()
    token = quota.take() if quota is not None and replaces is None else None
    try:
        order = await session.runtime.blocking(
            acme_order.create_order, client, csr_pem, session.issuer.profile, replaces
        )
    except AcmeFailure as exc:
        if token is not None and quota is not None:
            quota.settle(token, exc)
        raise
    if token is not None and quota is not None:
        quota.settle(token)
    return order


async def finalize(
    session: AcmeSession, order: acme_order.OrderSnapshot, csr_pem: bytes, deadline: datetime.datetime
) -> bytes:
    """Finalize with the CSR and download the full chain (the preferred one when asked)."""
    client = await session.client()
    chain: Any = await session.runtime.blocking(
        acme_order.finalize_order, client, order, csr_pem, deadline, session.issuer.preferred_chain
    )
    return chain.encode() if isinstance(chain, str) else chain
