"""The status write sent from an ACME thread (kube/prompt.py): the request the operator's client sends."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from evercert.kube.prompt import PromptWriter


class Apiserver:
    """Answers every PATCH with `status` and keeps what it was sent."""

    def __init__(self) -> None:
        self.status = 200
        self.seen: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_PATCH(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.seen.append({"path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(outer.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def writer(self) -> PromptWriter:
        configuration = client.Configuration(host=f"http://127.0.0.1:{self.server.server_address[1]}")
        configuration.api_key = {"BearerToken": "Bearer token-1"}
        return PromptWriter(configuration, timeout=10)


@pytest.fixture
def apiserver() -> Iterator[Apiserver]:
    server = Apiserver()
    yield server
    server.server.shutdown()


def test_a_status_merge_patch_goes_to_the_status_subresource_with_the_token(apiserver: Apiserver) -> None:
    apiserver.writer().patch_certificate_status("web", "site", {"order": {"url": "https://ca/order/1"}})
    [request] = apiserver.seen
    assert request["path"] == "/apis/evercert.dev/v1/namespaces/web/certificates/site/status"
    assert request["headers"]["Content-Type"] == "application/merge-patch+json"
    assert request["headers"]["Authorization"] == "Bearer token-1"
    assert request["body"] == {"status": {"order": {"url": "https://ca/order/1"}}}


def test_a_refused_write_raises_as_the_operators_client_would(apiserver: Apiserver) -> None:
    apiserver.status = 404
    with pytest.raises(ApiException) as raised:
        apiserver.writer().patch_certificate_status("web", "gone", {"order": None})
    assert raised.value.status == 404
