"""The HTTP server inside the solver Pod: it answers one token for one host, and nothing else.

Standard library only, so the Pod stays small. The key authorization is public by design (the CA
fetches it over plain HTTP), so it may appear in args and logs.
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import socketserver
import sys
import threading
import time
from http import HTTPStatus

from evercert.core.constants import ACME_CHALLENGE_PATH, SOLVER_PORT
from evercert.solver.http_request import Request, RequestError, read_request

# Annotations only: the solver loads neither typing nor http.server (http.client, email, ssl).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

SERVER_NAME = "evercert-solver"
SOCKET_TIMEOUT_SECONDS = 10.0
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Challenge:
    """What the server answers: `body` at `path`, only when the Host header names `host`."""

    __slots__ = ("body", "host", "path")

    def __init__(self, host: str, path: str, body: bytes) -> None:
        self.host = host
        self.path = path
        self.body = body


class SolverServer(socketserver.ThreadingTCPServer):
    """A server with a thread per connection, bound to an IPv4 or IPv6 address."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, bind: str, port: int, challenge: Challenge) -> None:
        self.address_family = socket.AF_INET6 if ":" in bind else socket.AF_INET
        self.challenge = challenge
        super().__init__((bind, port), ChallengeHandler)

    @property
    def server_port(self) -> int:
        return int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        _log(event="error", client=str(client_address[0]), error=repr(sys.exc_info()[1]))


class ChallengeHandler(socketserver.StreamRequestHandler):
    """Answers one request per connection, then closes it; a silent client is dropped at `timeout`."""

    timeout = SOCKET_TIMEOUT_SECONDS
    server: SolverServer

    def handle(self) -> None:
        try:
            try:
                request = read_request(self.rfile)
            except RequestError as error:
                self._reply(error.status, error.method, error.target)
                return
            if request is not None:
                self._reply(status_for(request, self.server.challenge), request.method, request.target)
        except TimeoutError:
            pass

    def _reply(self, status: HTTPStatus, method: str | None, target: str | None) -> None:
        _log(event="request", method=method, path=target, status=status.value)
        body = self.server.challenge.body if status is HTTPStatus.OK else _status_body(status)
        allow = "Allow: GET, HEAD\r\n" if status is HTTPStatus.METHOD_NOT_ALLOWED else ""
        head = (
            f"HTTP/1.0 {status.value} {status.phrase}\r\nServer: {SERVER_NAME}\r\n"
            f"Date: {http_date(time.time())}\r\nContent-Type: text/plain\r\n{allow}"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode("latin-1")
        self.wfile.write(head if method == "HEAD" else head + body)


def status_for(request: Request, challenge: Challenge) -> HTTPStatus:
    """The answer to a well-formed request: 200 only for GET/HEAD of the exact path on the host."""
    if request.method not in ("GET", "HEAD"):
        return HTTPStatus.METHOD_NOT_ALLOWED
    if request.header("Transfer-Encoding") or any(n != "0" for n in request.header("Content-Length")):
        return HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    hosts = request.header("Host")
    if request.target != challenge.path or len(hosts) != 1 or host_of(hosts[0]) != challenge.host:
        return HTTPStatus.NOT_FOUND
    return HTTPStatus.OK


def http_date(seconds: float) -> str:
    """An HTTP Date header value (RFC 9110 5.6.7), in English whatever the locale."""
    t = time.gmtime(seconds)
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )


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
    parser = argparse.ArgumentParser(
        prog="evercert solve",
        description="Answer one ACME HTTP-01 challenge.",
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--port", type=int, default=SOLVER_PORT)
    parser.add_argument("--host", required=True, help="the DNS name being validated")
    parser.add_argument("--token", required=True)
    parser.add_argument("--key-authorization", required=True)
    parser.add_argument("--bind", default="0.0.0.0", help="address to listen on; '::' for IPv6")
    return parser.parse_args(argv)


class _HelpFormatter(argparse.HelpFormatter):
    """A fixed width: argparse makes a formatter per argument, and asking the terminal's width
    imports shutil (with zlib, bz2 and lzma) at every start. A Pod has no terminal anyway."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=100)


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
