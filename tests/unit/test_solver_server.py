"""The solver's HTTP server, run for real on a loopback port."""

import email.utils
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

from evercert.solver import server as solver_server
from evercert.solver.server import host_of, http_date, make_server
from evercert_devenv.solverrouting import matching_service

HOST = "www.example.com"
TOKEN = "-LdZ3qL_tok3n"
KEY_AUTHORIZATION = f"{TOKEN}.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"
CHALLENGE = f"/.well-known/acme-challenge/{TOKEN}"
OPERATOR_SOURCE = Path(__file__).resolve().parents[2] / "operator"


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    server = make_server(HOST, TOKEN, KEY_AUTHORIZATION, port=0, bind="127.0.0.1")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@dataclass(frozen=True)
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def fetch(port: int, method: str, path: str, host: str = HOST) -> Reply:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, headers={"Host": host})
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        conn.close()


def exchange(port: int, data: bytes) -> bytes:
    """Send raw bytes, return everything the server answers before closing."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def status_of(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1])


def test_get_of_the_challenge_path_returns_exactly_the_key_authorization(port: int) -> None:
    reply = fetch(port, "GET", CHALLENGE)
    assert reply.status == 200
    assert reply.body == KEY_AUTHORIZATION.encode()
    assert reply.headers["Content-Type"] == "text/plain"
    assert reply.headers["Content-Length"] == str(len(KEY_AUTHORIZATION))


def test_head_answers_the_headers_without_a_body(port: int) -> None:
    reply = fetch(port, "HEAD", CHALLENGE)
    assert reply.status == 200
    assert reply.headers["Content-Length"] == str(len(KEY_AUTHORIZATION))
    assert reply.body == b""


def test_server_header_reveals_no_versions(port: int) -> None:
    assert fetch(port, "GET", CHALLENGE).headers["Server"] == "evercert-solver"
    assert fetch(port, "GET", "/nope").headers["Server"] == "evercert-solver"


@pytest.mark.parametrize(
    "path",
    [
        "/.well-known/acme-challenge/other-token",
        f"{CHALLENGE}/",
        f"{CHALLENGE}x",
        f"{CHALLENGE}?x=1",
        f"{CHALLENGE}?",
        f"{CHALLENGE}#frag",
        f"/{CHALLENGE}",
        f"/.well-known/acme-challenge/../acme-challenge/{TOKEN}",
        f"/.well-known/acme-challenge/x/../{TOKEN}",
        f"/.well-known/acme-challenge/%2e%2e/acme-challenge/{TOKEN}",
        f"/.well-known/acme-challenge/%2D{TOKEN[1:]}",
        f"/.well-known/%61cme-challenge/{TOKEN}",
        "/.well-known/acme-challenge/",
        "/",
        f"http://{HOST}{CHALLENGE}",
        f"http://evil.example.org{CHALLENGE}",
        f"{CHALLENGE}%00",
        f"/.well-known/acme-challenge/{TOKEN.upper()}",
        "/.well-known/acme-challenge/..%2f..%2f..%2fetc%2fpasswd",
        "/.well-known/acme-challenge/../../../etc/passwd",
        f"\\.well-known\\acme-challenge\\{TOKEN}",
    ],
)
def test_any_other_path_is_not_found(port: int, path: str) -> None:
    reply = fetch(port, "GET", path)
    assert reply.status == 404
    assert KEY_AUTHORIZATION.encode() not in reply.body


@pytest.mark.parametrize("host", [HOST, "WWW.Example.COM", f"{HOST}.", f"{HOST}:80", f"{HOST}:8089"])
def test_host_header_matches_ignoring_case_port_and_trailing_dot(port: int, host: str) -> None:
    assert fetch(port, "GET", CHALLENGE, host=host).status == 200


@pytest.mark.parametrize(
    "host", ["example.com", "evil.example.com", f"{HOST}.evil", "127.0.0.1", "[::1]:80", ""]
)
def test_another_host_is_not_found(port: int, host: str) -> None:
    assert fetch(port, "GET", CHALLENGE, host=host).status == 404


def test_missing_or_repeated_host_header_is_not_found(port: int) -> None:
    missing = exchange(port, f"GET {CHALLENGE} HTTP/1.0\r\n\r\n".encode())
    repeated = exchange(port, f"GET {CHALLENGE} HTTP/1.1\r\nHost: {HOST}\r\nHost: {HOST}\r\n\r\n".encode())
    assert status_of(missing) == status_of(repeated) == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE"])
def test_methods_other_than_get_and_head_are_not_allowed(port: int, method: str) -> None:
    reply = fetch(port, method, CHALLENGE)
    assert reply.status == 405
    assert reply.headers["Allow"] == "GET, HEAD"


@pytest.mark.parametrize("header", ["Content-Length: 5", "Transfer-Encoding: chunked"])
def test_a_request_with_a_body_is_refused_without_reading_it(port: int, header: str) -> None:
    reply = exchange(port, f"GET {CHALLENGE} HTTP/1.1\r\nHost: {HOST}\r\n{header}\r\n\r\nhello".encode())
    assert status_of(reply) == 413


def test_an_oversized_request_line_is_refused(port: int) -> None:
    reply = exchange(port, f"GET {CHALLENGE}?{'a' * 2000} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
    assert status_of(reply) == 414


def test_oversized_headers_are_refused(port: int) -> None:
    padding = "".join(f"X-Pad-{i}: {'a' * 60}\r\n" for i in range(20))
    reply = exchange(port, f"GET {CHALLENGE} HTTP/1.1\r\nHost: {HOST}\r\n{padding}\r\n".encode())
    assert status_of(reply) == 431


def test_garbage_is_a_bad_request(port: int) -> None:
    assert status_of(exchange(port, b"hello there my friend\r\n\r\n")) == 400


def test_header_names_match_in_any_case(port: int) -> None:
    reply = exchange(port, f"GET {CHALLENGE} HTTP/1.1\r\nhost: {HOST}\r\n\r\n".encode())
    assert status_of(reply) == 200
    assert reply.endswith(KEY_AUTHORIZATION.encode())


def test_bare_line_feeds_are_read_as_line_ends(port: int) -> None:
    reply = exchange(port, f"GET {CHALLENGE} HTTP/1.0\nHost: {HOST}\n\n".encode())
    assert reply.startswith(b"HTTP/1.0 200 OK\r\n")
    assert reply.endswith(KEY_AUTHORIZATION.encode())


@pytest.mark.parametrize(("version", "status"), [("HTTP/x.y", 400), ("HTTP/2.0", 505), ("", 400)])
def test_a_request_line_with_a_bad_version_is_refused(port: int, version: str, status: int) -> None:
    reply = exchange(port, f"GET {CHALLENGE} {version}\r\nHost: {HOST}\r\n\r\n".encode())
    assert status_of(reply) == status
    assert KEY_AUTHORIZATION.encode() not in reply


def test_replies_carry_a_date_and_close_the_connection(port: int) -> None:
    headers = fetch(port, "GET", "/nope").headers
    assert email.utils.parsedate_to_datetime(headers["Date"]).tzinfo is not None
    assert headers["Connection"] == "close"


def test_http_date_is_english_gmt() -> None:
    assert http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT"
    assert http_date(1_700_000_000.9) == "Tue, 14 Nov 2023 22:13:20 GMT"


def test_each_connection_serves_one_request_then_closes(port: int) -> None:
    request = f"GET {CHALLENGE} HTTP/1.1\r\nHost: {HOST}\r\nConnection: keep-alive\r\n\r\n".encode()
    reply = exchange(port, request * 2)
    assert reply.count(b"HTTP/1.0 200") == 1
    assert reply.endswith(KEY_AUTHORIZATION.encode())


def test_a_silent_client_is_dropped_after_the_socket_timeout(
    port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(solver_server.ChallengeHandler, "timeout", 0.2)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        assert sock.recv(1024) == b""


def test_logs_one_json_line_per_request(port: int, capsys: pytest.CaptureFixture[str]) -> None:
    fetch(port, "GET", CHALLENGE)
    fetch(port, "POST", "/other")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines == [
        {"event": "request", "method": "GET", "path": CHALLENGE, "status": 200},
        {"event": "request", "method": "POST", "path": "/other", "status": 405},
    ]


@pytest.mark.parametrize(
    ("header", "host"),
    [
        ("Example.COM.", "example.com"),
        ("example.com:8080", "example.com"),
        ("[::1]:80", "[::1]"),
        ("", ""),
        ("2001:DB8::1", "[2001:db8::1]"),
        ("192.0.2.1:80", "192.0.2.1"),
    ],
)
def test_host_of_strips_port_case_and_trailing_dot(header: str, host: str) -> None:
    assert host_of(header) == host


def test_solve_serves_until_sigterm_then_exits_cleanly() -> None:
    code = "import sys; from evercert.solver.server import run_from_args as run; sys.exit(run(sys.argv[1:]))"
    args = [f"--host={HOST}", f"--token={TOKEN}", f"--key-authorization={KEY_AUTHORIZATION}"]
    env = {**os.environ, "PYTHONPATH": str(OPERATOR_SOURCE)}
    with subprocess.Popen(
        [sys.executable, "-c", code, "--port=0", "--bind=127.0.0.1", *args],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as process:
        assert process.stderr is not None
        listening = json.loads(process.stderr.readline())
        assert listening["event"] == "listening"
        assert fetch(listening["port"], "GET", CHALLENGE).status == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def test_the_test_beds_solver_host_routes_a_rule_without_host_for_any_host() -> None:
    """As ingress controllers do: what an IP identifier's route relies on in the test bed."""
    entry = SimpleNamespace(path="/.well-known/acme-challenge/t", path_type="Exact")
    entry.backend = SimpleNamespace(service=SimpleNamespace(name="solver"))
    hostless = SimpleNamespace(host=None, http=SimpleNamespace(paths=[entry]))
    named = SimpleNamespace(host="a.example", http=SimpleNamespace(paths=[entry]))
    ingress = SimpleNamespace(spec=SimpleNamespace(rules=[hostless]))
    assert matching_service(ingress, "127.0.0.1", "/.well-known/acme-challenge/t") == "solver"
    named_only = SimpleNamespace(spec=SimpleNamespace(rules=[named]))
    assert matching_service(named_only, "127.0.0.1", "/.well-known/acme-challenge/t") is None
    assert matching_service(named_only, "a.example", "/.well-known/acme-challenge/t") == "solver"
