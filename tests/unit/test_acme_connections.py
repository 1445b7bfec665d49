"""One connection pool per CA: ACME clients of any account share its connections."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from evercert.acme import connections
from evercert.acme.client import Network


class _KeepAlive(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    clients: set[tuple[str, int]] = set()

    def do_HEAD(self) -> None:
        type(self).clients.add(self.client_address)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(autouse=True)
def fresh_pools(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connections, "_pools", {})


@pytest.fixture
def server() -> Iterator[str]:
    _KeepAlive.clients = set()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _KeepAlive)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def test_clients_of_one_ca_send_over_one_connection(server: str) -> None:
    for _ in range(3):
        net = Network(f"{server}/dir", user_agent="evercert-test", timeout=5)
        net.head(f"{server}/acme/new-nonce")
        del net
    assert len(_KeepAlive.clients) == 1


def test_each_ca_has_its_own_pool() -> None:
    first = connections.pool_for("https://one.example/dir")
    assert connections.pool_for("https://one.example/dir") is first
    assert connections.pool_for("https://two.example/dir") is not first


def test_the_environments_proxy_for_the_ca_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "inside.example")
    assert connections.pool_for("https://ca.example/dir").proxies["https"] == "http://proxy.example:3128"
    assert "https" not in connections.pool_for("https://ca.inside.example/dir").proxies
    assert not connections.pool_for("https://ca.example/dir").trust_env


def test_a_ca_bundle_named_by_the_environment_is_used_unless_one_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/bundle.pem")
    assert connections.environment_verify(True) == "/etc/bundle.pem"
    assert connections.environment_verify("/mine.pem") == "/mine.pem"
    assert connections.environment_verify(False) is False
