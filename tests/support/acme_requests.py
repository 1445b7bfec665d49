"""ACME requests as a proxy in front of Pebble saw them, counted by kind of resource (RFC 8555 names)."""

from __future__ import annotations

import datetime
import time
from collections import Counter
from collections.abc import Iterable
from typing import Protocol

# Pebble's paths (its wfe package) by the first segment, named as RFC 8555 / RFC 9773 name them.
PEBBLE_RESOURCES = {
    "dir": "directory",
    "nonce-plz": "newNonce",
    "sign-me-up": "newAccount",
    "my-account": "account",
    "order-plz": "newOrder",
    "my-order": "order",
    "finalize-order": "finalize",
    "authZ": "authorization",
    "chalZ": "challenge",
    "certZ": "certificate",
    "draft-ietf-acme-ari-03": "renewalInfo",
    "revoke-cert": "revokeCert",
    "rollover-account-key": "keyChange",
}
POLLED = ("authorization", "order")


class Seen(Protocol):
    """What the proxy records of a request: its arrival (time.monotonic()), method and path."""

    at: float
    method: str
    path: str


def resource_kind(path: str) -> str:
    """`/my-order/abc` -> `order`; a path Pebble does not serve keeps its first segment."""
    first = path.split("?", 1)[0].strip("/").split("/", 1)[0]
    return PEBBLE_RESOURCES.get(first, first)


def polls(requests: Iterable[Seen]) -> list[Seen]:
    """Fetches of an authorization or order fetched before: waiting for the CA, as often as its pace asks."""
    fetched: set[str] = set()
    repeated = []
    for request in requests:
        if request.method == "POST" and resource_kind(request.path) in POLLED:
            if request.path in fetched:
                repeated.append(request)
            fetched.add(request.path)
    return repeated


def breakdown(requests: Iterable[Seen]) -> Counter[str]:
    """`POST order` by method and resource (the method tells a HEAD of newNonce from a POST-as-GET);
    polls apart, as `POST order (poll)`."""
    requests = list(requests)
    repeated = {id(r) for r in polls(requests)}
    return Counter(
        f"{r.method} {resource_kind(r.path)}" + (" (poll)" if id(r) in repeated else "") for r in requests
    )


def wall_clock(monotonic_at: float) -> datetime.datetime:
    """A time.monotonic() reading as wall-clock UTC, to compare with the apiserver's timestamps."""
    return datetime.datetime.fromtimestamp(time.time() - time.monotonic() + monotonic_at, datetime.UTC)


def received_until(requests: Iterable[Seen], until: datetime.datetime) -> list[Seen]:
    return [r for r in requests if wall_clock(r.at) <= until]
