"""Reading one HTTP/1.x request head under small limits, for the solver's server.

Pure and standard library only: it reads from anything with `readline(limit)`, so it is tested
without a socket, and it loads nothing of `http.client` or `email` (the solver Pod starts faster).
"""

from __future__ import annotations

from http import HTTPStatus

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Protocol

    class LineReader(Protocol):
        def readline(self, limit: int = -1, /) -> bytes: ...


MAX_REQUEST_LINE = 1024
MAX_HEADER_BYTES = 1024  # all header lines together, line endings and the closing empty line included
_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


class RequestError(Exception):
    """A request refused before what it asks for is looked at; method and target when known."""

    def __init__(self, status: HTTPStatus, method: str | None = None, target: str | None = None) -> None:
        super().__init__(f"{status.value} {status.phrase}")
        self.status = status
        self.method = method
        self.target = target


class Request:
    """A request head: the method, the target exactly as sent, and each header's values."""

    __slots__ = ("fields", "method", "target")

    def __init__(self, method: str, target: str, fields: dict[str, list[str]]) -> None:
        self.method = method
        self.target = target
        self.fields = fields  # by lowercase name, in the order received

    def header(self, name: str) -> list[str]:
        """Every value of the header `name` (any case); empty when it was not sent."""
        return self.fields.get(name.lower(), [])


def read_request(stream: LineReader) -> Request | None:
    """The request head at the start of `stream`; None when the client closed without a byte."""
    line = stream.readline(MAX_REQUEST_LINE + 1)
    if not line:
        return None
    if len(line) > MAX_REQUEST_LINE:
        raise RequestError(HTTPStatus.REQUEST_URI_TOO_LONG)
    method, target = parse_request_line(line)
    lines: list[bytes] = []
    left = MAX_HEADER_BYTES
    while True:
        field = stream.readline(left + 1)
        left -= len(field)
        if left < 0:
            raise RequestError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, method, target)
        if field in (b"\r\n", b"\n"):
            break
        if not field.endswith(b"\n"):  # the client closed in the middle of the head
            raise RequestError(HTTPStatus.BAD_REQUEST, method, target)
        lines.append(field)
    try:
        return Request(method, target, parse_fields(lines))
    except RequestError as error:
        raise RequestError(error.status, method, target) from None


def parse_request_line(line: bytes) -> tuple[str, str]:
    """Method and target of `METHOD TARGET HTTP/1.x` (CRLF or LF); 505 for HTTP/0.9 or HTTP/2+."""
    words = line.split()  # bytes split at ASCII whitespace only
    if len(words) != 3 or not line.endswith(b"\n"):
        raise RequestError(HTTPStatus.BAD_REQUEST)
    method, target, version = (word.decode("latin-1") for word in words)
    protocol, _, number = version.partition("/")
    major, dot, minor = number.partition(".")
    if protocol != "HTTP" or not dot or not _is_number(major) or not _is_number(minor):
        raise RequestError(HTTPStatus.BAD_REQUEST, method, target)
    if int(major) != 1:
        raise RequestError(HTTPStatus.HTTP_VERSION_NOT_SUPPORTED, method, target)
    return method, target


def parse_fields(lines: Iterable[bytes]) -> dict[str, list[str]]:
    """Each header's values by lowercase name; 400 for a line that is not `name: value`."""
    fields: dict[str, list[str]] = {}
    for line in lines:
        name, colon, value = line.decode("latin-1").partition(":")
        # No space before the colon nor a folded line (RFC 9112 5.1, 5.2): both are refused.
        if not colon or not name or not _TOKEN.issuperset(name):
            raise RequestError(HTTPStatus.BAD_REQUEST)
        fields.setdefault(name.lower(), []).append(value.strip(" \t\r\n"))
    return fields


def _is_number(text: str) -> bool:
    return 0 < len(text) <= 3 and text.isascii() and text.isdigit()
