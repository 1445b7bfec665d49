"""Every API request of the operator has a timeout: a silent connection cannot stall a Certificate."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from kubernetes_asyncio import client

from evercert.kube.client import Kube, read_secret, with_timeout


@pytest.fixture
async def silent_server() -> AsyncIterator[int]:
    """Accepts connections and never answers (as a connection behind a dead NAT entry would)."""
    held: list[asyncio.StreamWriter] = []
    server = await asyncio.start_server(lambda _reader, writer: held.append(writer), "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    for writer in held:
        writer.close()
    server.close()


async def test_a_request_to_a_silent_server_times_out(silent_server: int) -> None:
    configuration = client.Configuration(host=f"http://127.0.0.1:{silent_server}")
    kube = Kube(client.ApiClient(configuration), timeout=0.5)
    started = time.monotonic()
    try:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(read_secret(kube, "default", "web-tls"), timeout=10)
    finally:
        await kube.close()
    assert time.monotonic() - started < 5  # the request's own timeout, not the test's guard


class Recorder:
    def __init__(self) -> None:
        self.calls: list[dict[str, object]] = []
        self.api_client = "shared"

    def read_namespaced_secret(self, name: str, namespace: str, **kwargs: object) -> None:
        self.calls.append({"name": name, "namespace": namespace, **kwargs})


def test_each_call_gets_the_timeout_unless_it_sets_its_own() -> None:
    recorder = Recorder()
    timed = with_timeout(recorder, 7.0)
    timed.read_namespaced_secret("a", "b")
    timed.read_namespaced_secret("a", "b", _request_timeout=1.0)
    assert recorder.calls == [
        {"name": "a", "namespace": "b", "_request_timeout": 7.0},
        {"name": "a", "namespace": "b", "_request_timeout": 1.0},
    ]
    assert timed.api_client == "shared"  # attributes pass through untouched
