"""Placing an ACME order: its URL is written from the thread that made it, and a look cancelled
meanwhile (shard lost, shutdown) lets the placement finish, so that no order is left unrecorded."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from types import SimpleNamespace
from typing import Any

import pytest

from evercert.acme import order as acme_order
from evercert.api.certificate import parse_certificate
from evercert.api.issuer import parse_issuer
from evercert.certificates import ordering
from evercert.certificates.ordering import OrderRecorder, finished_before_cancel
from evercert.certificates.status import StoredOrder

from .test_api_certificate import certificate
from .test_api_issuer import issuer

SPEC = parse_certificate(certificate(dnsNames=["www.example.com", "example.com"]))
ISSUER = parse_issuer(issuer(), "Issuer")
ORDER = acme_order.OrderSnapshot("https://ca.example/order/1", "pending", (), "https://ca.example/finalize/1")


async def test_work_cancelled_with_its_caller_is_let_finish_within_the_grace() -> None:
    release, finished = asyncio.Event(), []

    async def place() -> str:
        await release.wait()
        finished.append("recorded")
        return "order"

    work = asyncio.ensure_future(place())
    caller = asyncio.ensure_future(finished_before_cancel(work, grace=600))
    await asyncio.sleep(0)
    caller.cancel()
    await asyncio.sleep(0)
    assert not caller.done(), "the caller waits for the work it began"
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert finished == ["recorded"] and work.result() == "order"


async def test_work_still_running_when_the_grace_ends_is_cancelled_too() -> None:
    work = asyncio.ensure_future(asyncio.Event().wait())
    caller = asyncio.ensure_future(finished_before_cancel(work, grace=0))
    await asyncio.sleep(0)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    await asyncio.gather(work, return_exceptions=True)
    assert work.cancelled()


async def test_without_a_cancel_the_result_and_failures_pass_through() -> None:
    async def fail() -> None:
        raise ValueError("no")

    assert await finished_before_cancel(asyncio.ensure_future(asyncio.sleep(0, "done")), grace=0) == "done"
    with pytest.raises(ValueError, match="no"):
        await finished_before_cancel(asyncio.ensure_future(fail()), grace=0)


class Placing:
    """A session whose CA makes ORDER, and a recorder noting where and how the URL was written."""

    def __init__(self, write_fails: bool = False) -> None:
        self.executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="acme")
        self.written_in: list[str] = []
        self.wrote: list[tuple[StoredOrder, bool]] = []
        self.write_fails = write_fails

        async def blocking(fn: Any, *args: Any) -> Any:
            return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

        async def client() -> object:
            return object()

        self.session: Any = SimpleNamespace(blocking=blocking, issuer=ISSUER, client=client)

    def write(self, order: StoredOrder) -> None:
        self.written_in.append(threading.current_thread().name)
        if self.write_fails:
            raise ConnectionError("apiserver away")

    async def wrote_order(self, order: StoredOrder, written: bool) -> None:
        self.wrote.append((order, written))

    async def place(self) -> acme_order.OrderSnapshot:
        recorder = OrderRecorder(self.write, self.wrote_order, grace=600.0)
        try:
            return await ordering.resume_or_create(self.session, SPEC, None, b"csr", "key-1", None, recorder)
        finally:
            self.executor.shutdown()


@pytest.fixture
def ca(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(acme_order, "create_order", lambda *_args: ORDER)


async def test_a_new_orders_url_is_written_by_the_thread_that_made_it(ca: None) -> None:
    placing = Placing()
    assert await placing.place() == ORDER
    assert len(placing.written_in) == 1 and placing.written_in[0].startswith("acme")
    expected = StoredOrder(ORDER.url, SPEC.identifiers, "Issuer/letsencrypt", "key-1")
    assert placing.wrote == [(expected, True)]


async def test_when_the_write_from_the_thread_fails_the_loop_writes_the_url(ca: None) -> None:
    placing = Placing(write_fails=True)
    assert await placing.place() == ORDER
    assert [written for _, written in placing.wrote] == [False]
