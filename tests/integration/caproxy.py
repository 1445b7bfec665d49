"""A fault-injecting HTTPS reverse proxy in front of Pebble, counting every request the CA is sent.

Modes: "pass" (forward), "503" (an outage page), "429" (rateLimited with Retry-After), "drop"
(close the connection without an answer, as a CA that is down would) and "hold" (answer nothing
until the mode changes, then forward). Pebble builds its URLs from the Host header, so everything
the client is told to fetch comes back through the proxy.

`order_quota` (orders, seconds) makes it a CA with an order limit: a new order is refused with
429 rateLimited while that many orders were made in the last span of seconds.

`without_renewal_info` makes it a CA without ACME Renewal Information: its directory lists no
`renewalInfo`, so a client renews at the time its own policy gives.
"""

from __future__ import annotations

import base64
import http.client
import json
import math
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from evercert_devenv.certs import LocalCA
from evercert_devenv.pebble import Pebble

MODES = ("pass", "503", "429", "drop", "hold")
HOLD_TIMEOUT_SECONDS = 60
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}
NEW_ORDER_PATH = "/order-plz"  # Pebble's newOrder URL
DIRECTORY_PATH = "/dir"


@dataclass
class Seen:
    """One request as it arrived; once answered, the status and the ACME problem type if any."""

    at: float
    method: str
    path: str
    mode: str
    status: int | None = None
    problem: str | None = None


@dataclass
class CaProxy:
    upstream: Pebble
    ca: LocalCA
    mode: str = "pass"
    retry_after_seconds: int = 0
    seen: list[Seen] = field(default_factory=list)
    order_quota: tuple[int, float] | None = None
    orders_made: list[float] = field(default_factory=list)  # when each new order was answered 201
    without_renewal_info: bool = False

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._orders_in_flight = 0
        self._released = threading.Event()
        self._released.set()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._server.socket = self._tls_context().wrap_socket(self._server.socket, server_side=True)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _tls_context(self) -> ssl.SSLContext:
        pair = self.ca.issue("caproxy", hosts=("127.0.0.1", "localhost"), server=True)
        with tempfile.TemporaryDirectory() as tmp:
            cert, key = Path(tmp) / "tls.crt", Path(tmp) / "tls.key"
            cert.write_bytes(pair.cert_pem)
            key.write_bytes(pair.key_pem)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
        return context

    @property
    def directory_url(self) -> str:
        return f"https://127.0.0.1:{self.port}/dir"

    def fail(self, mode: str, retry_after_seconds: int = 0) -> None:
        assert mode in MODES
        self.mode, self.retry_after_seconds = mode, retry_after_seconds
        if mode == "hold":
            self._released.clear()
        else:
            self._released.set()

    def wait_for_release(self) -> None:
        self._released.wait(HOLD_TIMEOUT_SECONDS)

    def record(self, entry: Seen) -> None:
        with self._lock:
            self.seen.append(entry)

    def admit_order(self) -> int | None:
        """None: forward this new order; else the Retry-After seconds of a refusal. Orders in flight
        count as made, so concurrent requests cannot slip past the quota together."""
        if self.order_quota is None:
            return None
        orders, seconds = self.order_quota
        now = time.monotonic()
        with self._lock:
            recent = [at for at in self.orders_made if at > now - seconds]
            if len(recent) + self._orders_in_flight >= orders:
                return max(1, math.ceil(recent[0] + seconds - now)) if recent else 1
            self._orders_in_flight += 1
            return None

    def order_answered(self, status: int) -> None:
        with self._lock:
            self._orders_in_flight -= 1
            if status == 201:
                self.orders_made.append(time.monotonic())

    def requests(self, mode: str | None = None, since: float = 0.0) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.at >= since and (mode is None or s.mode == mode)]

    def issuer(self, name: str, namespace: str) -> dict[str, Any]:
        """An Issuer whose CA is reached through this proxy."""
        return {
            "apiVersion": "evercert.dev/v1",
            "kind": "Issuer",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {
                "acme": {
                    "server": self.directory_url,
                    "email": "faults@example.org",
                    "privateKeySecretRef": {"name": f"{name}-account-key"},
                    "profile": "default",
                    "caBundle": base64.b64encode(self.ca.cert_pem).decode(),
                    "solvers": [{"http01": {"ingress": {"ingressClassName": "local"}}}],
                }
            },
        }

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def _handler(proxy: CaProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # one request per connection: every request is seen on its own

        def do_GET(self) -> None:
            self._handle()

        def do_HEAD(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the record of requests is `proxy.seen`."""

        def _handle(self) -> None:
            seen = Seen(time.monotonic(), self.command, self.path, proxy.mode)
            proxy.record(seen)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            mode = seen.mode
            if mode == "hold":
                proxy.wait_for_release()
            if mode == "drop":
                self.close_connection = True
                return
            if mode == "503":
                status, payload = 503, b"<h1>503 Service Unavailable</h1>"
                headers = [("Content-Type", "text/html")]
            elif mode == "429":
                status, headers, payload = _rate_limited("injected: slow down", proxy.retry_after_seconds)
            elif self.command == "POST" and self.path == NEW_ORDER_PATH and proxy.order_quota:
                refused = proxy.admit_order()
                if refused is not None:
                    status, headers, payload = _rate_limited("too many new orders", refused)
                else:
                    answered = 0
                    try:
                        status, headers, payload = self._forward(body)
                        answered = status
                    finally:
                        proxy.order_answered(answered)
            else:
                status, headers, payload = self._forward(body)
                if proxy.without_renewal_info and self.path == DIRECTORY_PATH and status == 200:
                    directory = json.loads(payload)
                    directory.pop("renewalInfo", None)
                    payload = json.dumps(directory).encode()
            seen.status, seen.problem = status, _problem_type(headers, payload)
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
            upstream = http.client.HTTPSConnection(
                "127.0.0.1", proxy.upstream.port, context=proxy.upstream.tls_context(), timeout=30
            )
            try:
                upstream.request(self.command, self.path, body=body or None, headers=dict(self.headers))
                response = upstream.getresponse()
                payload = response.read()
                headers = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
                return response.status, headers, payload
            finally:
                upstream.close()

    return Handler


def _rate_limited(detail: str, retry_after: int) -> tuple[int, list[tuple[str, str]], bytes]:
    problem = {"type": "urn:ietf:params:acme:error:rateLimited", "detail": detail}
    headers = [("Content-Type", "application/problem+json"), ("Retry-After", str(retry_after))]
    return 429, headers, json.dumps(problem).encode()


def _problem_type(headers: list[tuple[str, str]], payload: bytes) -> str | None:
    if not any(k.lower() == "content-type" and "problem+json" in v for k, v in headers):
        return None
    try:
        return str(json.loads(payload).get("type", "")).rsplit(":", 1)[-1] or None
    except ValueError:
        return None
