"""The solver's request reader: limits, lenient line endings, strict request lines and header fields."""

from __future__ import annotations

import io
from http import HTTPStatus

import pytest

from evercert.solver.http_request import (
    MAX_HEADER_BYTES,
    MAX_REQUEST_LINE,
    RequestError,
    parse_fields,
    parse_request_line,
    read_request,
)


def refusal(data: bytes) -> RequestError:
    with pytest.raises(RequestError) as caught:
        read_request(io.BytesIO(data))
    return caught.value


def test_reads_the_method_the_raw_target_and_each_header_by_lowercase_name() -> None:
    head = b"GET //a/../b?x#y HTTP/1.1\r\nhost: a.example\r\nX-A: 1\r\nx-a: 2\r\n\r\n"
    request = read_request(io.BytesIO(head))
    assert request is not None
    assert (request.method, request.target) == ("GET", "//a/../b?x#y")
    assert request.header("Host") == ["a.example"]
    assert request.header("X-A") == ["1", "2"]
    assert request.header("Content-Length") == []


def test_bare_line_feeds_end_lines_too() -> None:
    request = read_request(io.BytesIO(b"HEAD /x HTTP/1.0\nHost:  a.example \t\n\n"))
    assert request is not None
    assert (request.method, request.target, request.header("host")) == ("HEAD", "/x", ["a.example"])


def test_reads_nothing_past_the_head() -> None:
    stream = io.BytesIO(b"GET /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
    assert read_request(stream) is not None
    assert stream.read() == b"hello"


def test_a_client_that_sent_nothing_is_no_request() -> None:
    assert read_request(io.BytesIO(b"")) is None


def test_a_request_line_over_the_limit_is_too_long() -> None:
    line = b"GET /" + b"a" * (MAX_REQUEST_LINE - len(b"GET / HTTP/1.1\r\n")) + b" HTTP/1.1\r\n"
    assert read_request(io.BytesIO(line + b"\r\n")) is not None  # exactly at the limit
    assert refusal(b"GET /a" + line[5:] + b"\r\n").status == HTTPStatus.REQUEST_URI_TOO_LONG


def test_header_fields_over_the_limit_are_too_large_and_name_the_request() -> None:
    field = b"X-Pad: " + b"a" * (MAX_HEADER_BYTES - len(b"X-Pad: \r\n\r\n")) + b"\r\n"
    assert read_request(io.BytesIO(b"GET /x HTTP/1.1\r\n" + field + b"\r\n")) is not None  # at the limit
    error = refusal(b"GET /x HTTP/1.1\r\nX" + field + b"\r\n")
    assert error.status == HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
    assert (error.method, error.target) == ("GET", "/x")


@pytest.mark.parametrize(
    "data",
    [
        b"GET /x HTTP/1.1\r\nHost: a",  # closed in the middle of a field
        b"GET /x HTTP/1.1\r\nHost: a\r\n",  # closed before the empty line
        b"GET /x HTTP/1.1",  # closed in the middle of the request line
    ],
)
def test_a_head_cut_short_is_a_bad_request(data: bytes) -> None:
    assert refusal(data).status == HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize(
    "line",
    [
        b"hello there my friend\r\n",
        b"GET /x\r\n",  # HTTP/0.9
        b"GET\r\n",
        b"\r\n",
        b"GET /x y HTTP/1.1\r\n",
        b"GET /x HTTP/1\r\n",
        b"GET /x HTTP/1.\r\n",
        b"GET /x HTTP/one.one\r\n",
        b"GET /x http/1.1\r\n",
        b"GET /x FTP/1.0\r\n",
        b"GET /x HTTP/1.\xb2\r\n",  # a Latin-1 superscript digit is no digit here
        b"GET /x HTTP/1.1000\r\n",
    ],
)
def test_a_malformed_request_line_is_a_bad_request(line: bytes) -> None:
    with pytest.raises(RequestError) as caught:
        parse_request_line(line)
    assert caught.value.status == HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize("version", [b"HTTP/0.9", b"HTTP/2.0", b"HTTP/3.0"])
def test_a_version_other_than_http_1_is_not_supported(version: bytes) -> None:
    with pytest.raises(RequestError) as caught:
        parse_request_line(b"GET /x " + version + b"\r\n")
    assert (caught.value.status, caught.value.method) == (HTTPStatus.HTTP_VERSION_NOT_SUPPORTED, "GET")


def test_any_http_1_minor_version_is_read() -> None:
    assert parse_request_line(b"GET /x HTTP/1.0\r\n") == ("GET", "/x")
    assert parse_request_line(b"GET /x HTTP/1.9\n") == ("GET", "/x")


@pytest.mark.parametrize(
    "field",
    [
        b"Host a.example\r\n",  # no colon
        b"Host : a.example\r\n",  # space before the colon
        b": a.example\r\n",  # no name
        b" continued\r\n",  # a folded line
        b"Ho(st: a.example\r\n",  # not a token
    ],
)
def test_a_field_that_is_not_name_colon_value_is_a_bad_request(field: bytes) -> None:
    with pytest.raises(RequestError) as caught:
        parse_fields([b"Host: a.example\r\n", field])
    assert caught.value.status == HTTPStatus.BAD_REQUEST
    error = refusal(b"GET /x HTTP/1.1\r\n" + field + b"\r\n")
    assert (error.status, error.method, error.target) == (HTTPStatus.BAD_REQUEST, "GET", "/x")
