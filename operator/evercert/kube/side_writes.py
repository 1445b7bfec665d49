"""Writes that must not wait for the busy event loop: an event loop in a thread of its own, with its
own connection (the same kubernetes_asyncio client, the same configuration and credentials).

Used for the one write a crash must not lose the moment after it: a new order's URL, from the ACME
thread that placed it. On the operator's loop, 50 issuances at once delay a write by up to seconds;
an order placed at the CA in that time and then lost to a SIGKILL is never resumed."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any, Generic, Protocol, TypeVar

T = TypeVar("T")
THREAD = "evercert-side-writes"


class Client(Protocol):
    async def close(self) -> None: ...


C = TypeVar("C", bound=Client)


class SideWrites(Generic[C]):
    """`connect` makes the side loop's own client (called on that loop, the first time one is needed)."""

    def __init__(self, connect: Callable[[], Awaitable[C]], timeout: float) -> None:
        self._connect, self._timeout = connect, timeout
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._kube: C | None = None
        self._thread: threading.Thread | None = None

    def run(self, write: Callable[[C], Awaitable[T]]) -> T:
        """Run `write` with the side loop's client; blocking, so never from an event loop's thread."""
        loop, kube = self._started()
        return asyncio.run_coroutine_threadsafe(write(kube), loop).result(timeout=self._timeout)

    def _started(self) -> tuple[asyncio.AbstractEventLoop, C]:
        with self._lock:
            if self._loop is None or self._kube is None:
                loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=loop.run_forever, name=THREAD, daemon=True)
                self._thread.start()
                connecting = asyncio.run_coroutine_threadsafe(self._connect(), loop)
                self._kube = connecting.result(timeout=self._timeout)
                self._loop = loop
            return self._loop, self._kube

    async def close(self) -> None:
        """Close its connection and stop its loop (from the operator's loop)."""
        with self._lock:
            loop, kube, thread = self._loop, self._kube, self._thread
            self._loop, self._kube, self._thread = None, None, None
        if loop is None or kube is None or thread is None:
            return
        closing: Any = asyncio.run_coroutine_threadsafe(kube.close(), loop)
        await asyncio.wrap_future(closing)
        loop.call_soon_threadsafe(loop.stop)
        await asyncio.to_thread(thread.join, self._timeout)
        loop.close()
