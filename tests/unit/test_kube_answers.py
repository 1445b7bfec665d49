"""The operator's API client reads answers as plain JSON and does not consult the environment per request."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from evercert.kube.client import Kube, create_or_replace_secret, ignoring_environment, read_secret

SECRET = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "web-tls", "namespace": "team", "creationTimestamp": "2026-01-02T03:04:05Z"},
    "data": {"tls.crt": "Y2VydA=="},
}


@pytest.fixture
async def api() -> AsyncIterator[str]:
    """An API server with one Secret; a write is refused as the API refuses one with a stale version."""

    async def read(request: web.Request) -> web.Response:
        if request.match_info["name"] == "web-tls":
            return web.json_response(SECRET)
        return web.json_response({"kind": "Status", "code": 404}, status=404)

    async def replace(request: web.Request) -> web.Response:
        return web.json_response({"kind": "Status", "reason": "Conflict", "code": 409}, status=409)

    app = web.Application()
    app.router.add_get("/api/v1/namespaces/{namespace}/secrets/{name}", read)
    app.router.add_put("/api/v1/namespaces/{namespace}/secrets/{name}", replace)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


@pytest.fixture
async def kube(api: str) -> AsyncIterator[Kube]:
    kube = Kube(ignoring_environment(client.ApiClient(client.Configuration(host=api))), timeout=5)
    yield kube
    await kube.close()


async def test_a_secret_reads_as_the_api_sent_it(kube: Kube) -> None:
    assert await read_secret(kube, "team", "web-tls") == SECRET


async def test_a_missing_secret_reads_as_none(kube: Kube) -> None:
    assert await read_secret(kube, "team", "other") is None


async def test_a_refused_write_raises_the_apis_status_and_answer(kube: Kube) -> None:
    body = {"metadata": {"name": "web-tls", "resourceVersion": "7"}}
    with pytest.raises(ApiException) as refused:
        await create_or_replace_secret(kube, "team", body)
    assert refused.value.status == 409
    assert isinstance(refused.value.body, str) and "Conflict" in refused.value.body


async def test_a_proxy_named_by_the_environment_is_not_looked_up_per_request(
    kube: Kube, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert await read_secret(kube, "team", "web-tls") == SECRET
