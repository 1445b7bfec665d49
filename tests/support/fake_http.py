"""A real HTTP server on loopback that records each request and answers what the test set."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeHttp:
    """Answers every request with `status` and `body` (JSON unless bytes/str); `requests` in order."""

    status: int = 200
    body: Any = None
    requests: list[Recorded] = field(default_factory=list)
    url: str = ""

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        self.requests.append(Recorded(request.method, request.path, dict(request.headers), body))
        if isinstance(self.body, (bytes, str)):
            return web.Response(status=self.status, body=self.body)
        return web.json_response(self.body, status=self.status)


@asynccontextmanager
async def fake_http() -> AsyncIterator[FakeHttp]:
    fake = FakeHttp()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake._handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    fake.url = str(server.make_url("")).rstrip("/")
    try:
        yield fake
    finally:
        await server.close()
