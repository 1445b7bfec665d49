"""Side writes (kube/side_writes.py): run on a loop of their own, whatever the operator's loop is doing."""

from __future__ import annotations

import asyncio
import threading

from kubernetes_asyncio import client

from evercert.kube.client import Kube
from evercert.kube.side_writes import SideWrites


async def test_a_write_is_done_while_the_operators_loop_is_blocked() -> None:
    configuration = client.Configuration()
    configuration.host = "http://127.0.0.1:9"

    async def connect() -> Kube:
        return Kube(client.ApiClient(configuration), 5)

    side = SideWrites(connect, timeout=5)
    operators_loop = asyncio.get_running_loop()
    seen: dict[str, object] = {}
    done = threading.Event()

    async def write(kube: Kube) -> str:
        seen["loop"] = asyncio.get_running_loop()
        seen["host"] = kube.api.configuration.host
        return threading.current_thread().name

    def from_a_worker_thread() -> None:
        seen["thread"] = side.run(write)
        done.set()

    threading.Thread(target=from_a_worker_thread).start()
    # This loop waits without yielding: a write that needed it would never finish.
    assert done.wait(timeout=5)
    assert seen["thread"] == "evercert-side-writes"
    assert seen["loop"] is not operators_loop and seen["host"] == "http://127.0.0.1:9"
    await side.close()
    assert not any(t.name == "evercert-side-writes" and t.is_alive() for t in threading.enumerate())
