"""A scrape: the Certificates' and the ACME requests' text, then the registry's (Prometheus text format)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import generate_latest

from .registry import ACME_REQUESTS, CERTIFICATES, REGISTRY

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PATHS = ("/metrics", "/")


def chunks() -> list[bytes]:
    """What a scrape returns, in pieces (joining them would hold a second copy)."""
    return [CERTIFICATES.exposition(), ACME_REQUESTS.exposition(), generate_latest(REGISTRY)]


def render() -> bytes:
    """What a scrape returns."""
    return b"".join(chunks())


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """A WSGI app answering GET /metrics (HEAD too); anything else is 404."""
    if environ.get("PATH_INFO") not in PATHS or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found: try /metrics\n"]
    body = chunks()
    length = sum(map(len, body))
    start_response("200 OK", [("Content-Type", CONTENT_TYPE), ("Content-Length", str(length))])
    return [] if environ["REQUEST_METHOD"] == "HEAD" else body
