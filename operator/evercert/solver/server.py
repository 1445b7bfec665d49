"""The HTTP server inside the solver Pod: it answers one token for one host, and nothing else.

Standard library only, so the Pod stays small. The key authorization is public by design (the CA
fetches it over plain HTTP), so it may appear in args and logs.
"""

import argparse
import functools
import http.client
import json
import signal
import socket
import socketserver
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from evercert.constants import ACME_CHALLENGE_PATH, SOLVER_PORT

SERVER_NAME = "evercert-solver"
MAX_REQUEST_LINE = 1024
MAX_HEADER_BYTES = 1024
SOCKET_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Challenge:
    """What the server answers: `body` at `path`, only when the Host header names `host`."""

    host: str
    path: str
    body: bytes


class SolverServer(ThreadingHTTPServer):
    """A threading HTTP server that binds IPv4 or IPv6 and skips the reverse DNS lookup at start."""

    def __init__(self, bind: str, port: int, challenge: Challenge) -> None:
        self.address_family = socket.AF_INET6 if ":" in bind else socket.AF_INET
        super().__init__((bind, port), functools.partial(ChallengeHandler, challenge=challenge))

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        _log(event="error", client=str(client_address[0]), error=repr(sys.exc_info()[1]))


class ChallengeHandler(BaseHTTPRequestHandler):
    """Answers GET/HEAD of the one challenge path; every request gets its own connection."""

    protocol_version = "HTTP/1.0"
    # Replies to malformed requests still carry a status line, rather than HTTP/0.9's bare body.
    default_request_version = "HTTP/1.0"
    timeout = SOCKET_TIMEOUT_SECONDS
    error_content_type = "text/plain"
    error_message_format = "%(code)d %(message)s\n"

    def __init__(self, *args: Any, challenge: Challenge, **kwargs: Any) -> None:
        self.challenge = challenge
        super().__init__(*args, **kwargs)

    def handle_one_request(self) -> None:
        """Read the request head under small limits, then answer it."""
        try:
            self.raw_requestline = self.rfile.readline(MAX_REQUEST_LINE + 1)
            if len(self.raw_requestline) > MAX_REQUEST_LINE:
                self.requestline, self.request_version, self.command = "", "HTTP/1.0", ""
                self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
                return
            self.rfile = _HeadReader(self.rfile, MAX_HEADER_BYTES)  # type: ignore[assignment]
            if self.raw_requestline and self.parse_request():
                self._answer()
        except TimeoutError:
            self.close_connection = True

    def version_string(self) -> str:
        return SERVER_NAME

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        _log(event="request", method=self.command, path=getattr(self, "path", None), status=int(code))

    def log_error(self, format: str, *args: Any) -> None:
        """Silent: every error is also a response, and log_request already reports that."""

    def _answer(self) -> None:
        status = self._status()
        if status is HTTPStatus.OK:
            self._reply(status, self.challenge.body)
        elif status is HTTPStatus.METHOD_NOT_ALLOWED:
            self._reply(status, _status_body(status), {"Allow": "GET, HEAD"})
        else:
            self._reply(status, _status_body(status))

    def _status(self) -> HTTPStatus:
        if self.command not in ("GET", "HEAD"):
            return HTTPStatus.METHOD_NOT_ALLOWED
        if self.headers.get("Transfer-Encoding") or self.headers.get("Content-Length", "0").strip() != "0":
            return HTTPStatus.REQUEST_ENTITY_TOO_LARGE
        # The raw target: parse_request rewrites a leading '//' to '/', and we serve one exact path.
        target = self.requestline.split()[1]
        if target != self.challenge.path or not self._host_matches():
            return HTTPStatus.NOT_FOUND
        return HTTPStatus.OK

    def _host_matches(self) -> bool:
        hosts = self.headers.get_all("Host") or []
        return len(hosts) == 1 and host_of(hosts[0]) == self.challenge.host

    def _reply(self, status: HTTPStatus, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Type": "text/plain", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class _HeadReader:
    """Hands out lines of a request head until `budget` bytes; then fails as a too-long header."""

    def __init__(self, stream: Any, budget: int) -> None:
        self._stream = stream
        self._left = budget

    def readline(self, limit: int = -1) -> bytes:
        line: bytes = self._stream.readline(self._left + 1)
        self._left -= len(line)
        if self._left < 0:
            raise http.client.LineTooLong("request headers")
        return line

    def close(self) -> None:
        self._stream.close()


def host_of(host: str) -> str:
    """The host part of a Host header or DNS name: no port, lowercase, no trailing dot."""
    host = host.strip().lower()
    if host.count(":") > 1 and not host.startswith("["):
        host = f"[{host}]"  # a bare IPv6 address (an ip identifier), as a Host header writes it
    host = host.partition("]")[0] + "]" if host.startswith("[") else host.partition(":")[0]
    return host.removesuffix(".")


def make_server(
    host_name: str, token: str, key_authorization: str, port: int, bind: str = "0.0.0.0"
) -> SolverServer:
    """A bound server answering `key_authorization` for `token` on `host_name`; port 0 picks one."""
    challenge = Challenge(host_of(host_name), ACME_CHALLENGE_PATH + token, key_authorization.encode())
    return SolverServer(bind, port, challenge)


def serve(
    host_name: str,
    token: str,
    key_authorization: str,
    port: int,
    bind: str = "0.0.0.0",
    ready: threading.Event | None = None,
) -> None:
    """Serve the challenge until SIGTERM or SIGINT (when run in the main thread) or shutdown()."""
    with make_server(host_name, token, key_authorization, port, bind) as server:
        if threading.current_thread() is threading.main_thread():
            _shut_down_on_signals(server)
        _log(event="listening", host=host_name, bind=bind, port=server.server_port)
        if ready is not None:
            ready.set()
        server.serve_forever()
    _log(event="stopped")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse the arguments of `evercert solve`."""
    parser = argparse.ArgumentParser(prog="evercert solve", description="Answer one ACME HTTP-01 challenge.")
    parser.add_argument("--port", type=int, default=SOLVER_PORT)
    parser.add_argument("--host", required=True, help="the DNS name being validated")
    parser.add_argument("--token", required=True)
    parser.add_argument("--key-authorization", required=True)
    parser.add_argument("--bind", default="0.0.0.0", help="address to listen on; '::' for IPv6")
    return parser.parse_args(argv)


def run_from_args(argv: Sequence[str]) -> int:
    """Entry point of `evercert solve`; returns the process exit code."""
    args = parse_args(argv)
    try:
        serve(args.host, args.token, args.key_authorization, args.port, args.bind)
    except OSError as err:
        _log(event="error", error=str(err))
        return 1
    return 0


def _shut_down_on_signals(server: SolverServer) -> None:
    # shutdown() waits for serve_forever() to return, so it must not run in the serving thread.
    def stop(signum: int, frame: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def _status_body(status: HTTPStatus) -> bytes:
    return f"{status.value} {status.phrase}\n".encode()


def _log(**fields: Any) -> None:
    print(json.dumps(fields), file=sys.stderr, flush=True)
