"""The ACME order of one issuance: resume the stored one when it still fits, else create one; finalize."""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ..acme import order as acme_order
from ..api.certificate import CertificateSpec
from ..api.issuer import IssuerSpec
from ..core.errors import AcmeFailure
from ..issuers.session import AcmeSession
from .quota import OrderQuota
from .status import StoredOrder

log = logging.getLogger(__name__)
DEAD_ORDER_STATES = ("invalid", "expired", "deactivated")
T = TypeVar("T")


@dataclass(frozen=True)
class OrderRecorder:
    """How a new order's URL reaches the Certificate's status, the one place the next look finds it.

    `write` runs in the ACME thread that made the order, straight after the CA's answer (blocking, it
    hands the status write to the event loop at once): until the URL is stored, a crash leaves an
    order at the CA that nobody resumes. `wrote` follows on the loop with whether `write` succeeded
    (if not, it writes the URL itself)."""

    write: Callable[[StoredOrder], None]
    wrote: Callable[[StoredOrder, bool], Awaitable[None]]
    # How long a placing whose look was stopped (its shard lost, a shutdown) may still record it.
    grace: float = 0.0


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
    recorder: OrderRecorder,
    quota: OrderQuota | None = None,
) -> acme_order.OrderSnapshot:
    """The order to work on; a new one is recorded (status.order) before anything else happens to it.

    A new order without `replaces` takes a token of the account's order quota first."""
    client = await session.client()
    blocking = session.blocking
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
    placing = asyncio.ensure_future(_place(session, spec, csr_pem, key_id, replaces, recorder, quota))
    return await finished_before_cancel(placing, recorder.grace)


async def finished_before_cancel(work: asyncio.Future[T], grace: float) -> T:
    """Await `work`; when the caller is cancelled meanwhile (its shard lost, a shutdown), give `work`
    up to `grace` seconds to end before passing the cancellation on: an order the CA may already
    have made gets recorded rather than lost."""
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        done, _ = await asyncio.wait({work}, timeout=grace)
        if not done:
            work.cancel()
        elif not work.cancelled():
            work.exception()  # seen: the caller is gone, its failure goes with it
        raise


async def _place(
    session: AcmeSession,
    spec: CertificateSpec,
    csr_pem: bytes,
    key_id: str,
    replaces: str | None,
    recorder: OrderRecorder,
    quota: OrderQuota | None,
) -> acme_order.OrderSnapshot:
    """Create the order and record it, as one step."""
    label = issuer_label(session.issuer)

    def stored(order: acme_order.OrderSnapshot) -> StoredOrder:
        return StoredOrder(order.url, spec.identifiers, label, key_id)

    try:
        order, written = await _create(session, csr_pem, replaces, quota, stored, recorder)
    except AcmeFailure:
        if replaces is None:
            raise
        # e.g. alreadyReplaced, or a CA that no longer knows the old certificate: order without it.
        order, written = await _create(session, csr_pem, None, quota, stored, recorder)
    await recorder.wrote(stored(order), written)
    return order


async def _create(
    session: AcmeSession,
    csr_pem: bytes,
    replaces: str | None,
    quota: OrderQuota | None,
    stored: Callable[[acme_order.OrderSnapshot], StoredOrder],
    recorder: OrderRecorder,
) -> tuple[acme_order.OrderSnapshot, bool]:
    """A new order, and whether its URL is in the status already (written from the ACME thread)."""
    client = await session.client()
    profile = session.issuer.profile

    def create_and_write() -> tuple[acme_order.OrderSnapshot, bool]:
        order = acme_order.create_order(client, csr_pem, profile, replaces)
        try:
            recorder.write(stored(order))
        except Exception as exc:  # the loop writes it then (OrderRecorder.wrote)
            log.warning("order not recorded at once", extra={"order": order.url, "error": repr(exc)})
            return order, False
        return order, True

    token = quota.take() if quota is not None and replaces is None else None
    try:
        placed = await session.blocking(create_and_write)
    except AcmeFailure as exc:
        if token is not None and quota is not None:
            quota.settle(token, exc)
        raise
    if token is not None and quota is not None:
        quota.settle(token)
    return placed


async def finalize(
    session: AcmeSession, order: acme_order.OrderSnapshot, csr_pem: bytes, deadline: datetime.datetime
) -> bytes:
    """Finalize with the CSR and download the full chain (the preferred one when asked)."""
    client = await session.client()
    chain: Any = await session.blocking(
        acme_order.finalize_order, client, order, csr_pem, deadline, session.issuer.preferred_chain
    )
    return chain.encode() if isinstance(chain, str) else chain
