"""The kube-apiserver's audit log as a list of requests: who asked for what, and when.

The test bed's control plane writes it (metadata only; a Certificate's status writes with their
body). Watches are left out: they are standing streams, not work done per object.
"""

from __future__ import annotations

import datetime
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Resources whose requests are told apart by object name in a breakdown (which Secret was read).
NAMED_RESOURCES = ("secrets",)


@dataclass(frozen=True)
class ApiRequest:
    """One completed request as the audit log records it."""

    user: str
    verb: str
    resource: str  # with the subresource, e.g. "certificates/status"
    namespace: str | None
    name: str | None
    received: datetime.datetime
    completed: datetime.datetime
    code: int | None
    body: Mapping[str, Any] | None  # the request body, where the audit policy records it

    @property
    def base_resource(self) -> str:
        return self.resource.split("/", 1)[0]

    def key(self) -> str:
        """`verb resource`, with the object's name for NAMED_RESOURCES: `get secrets/web-tls`."""
        if self.base_resource in NAMED_RESOURCES and self.name:
            return f"{self.verb} {self.base_resource}/{self.name}"
        return f"{self.verb} {self.resource}"


@dataclass(frozen=True)
class Scope:
    """The objects a piece of work may touch: everything in `namespace`, plus the named `others`.

    `others` holds (resource, namespace or None, name), e.g. ("clusterissuers", None, "ca")."""

    namespace: str
    others: frozenset[tuple[str, str | None, str]] = frozenset()

    def covers(self, request: ApiRequest) -> bool:
        if request.namespace == self.namespace:
            return True
        return (request.base_resource, request.namespace, request.name) in self.others


@dataclass(frozen=True)
class AuditLog:
    path: Path

    def size(self) -> int:
        """Where the log ends now: read from here to see only what comes later."""
        return self.path.stat().st_size

    def requests(self, offset: int = 0) -> list[ApiRequest]:
        """Every completed request other than a watch, from `offset` on, in the order logged."""
        with self.path.open("rb") as log:
            log.seek(offset)
            lines = log.read().splitlines()
        parsed = []
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:  # the line being written right now
                continue
            if event.get("stage") == "ResponseComplete" and event.get("verb") != "watch":
                parsed.append(_request(event))
        return parsed


def _request(event: Mapping[str, Any]) -> ApiRequest:
    ref = event.get("objectRef") or {}
    resource = ref.get("resource") or event.get("requestURI", "")
    if ref.get("subresource"):
        resource = f"{resource}/{ref['subresource']}"
    return ApiRequest(
        user=(event.get("user") or {}).get("username", ""),
        verb=event["verb"],
        resource=resource,
        namespace=ref.get("namespace"),
        name=ref.get("name"),
        received=_timestamp(event["requestReceivedTimestamp"]),
        completed=_timestamp(event["stageTimestamp"]),
        code=(event.get("responseStatus") or {}).get("code"),
        body=event.get("requestObject"),
    )


def _timestamp(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text)


def requests_of(
    requests: Iterable[ApiRequest],
    user: str,
    scope: Scope,
    since: datetime.datetime,
) -> list[ApiRequest]:
    """The requests of `user` within `scope` received from `since` on."""
    return [r for r in requests if r.user == user and scope.covers(r) and r.received >= since]


def breakdown(requests: Iterable[ApiRequest]) -> Counter[str]:
    return Counter(r.key() for r in requests)


def reports_ready(request: ApiRequest, name: str) -> bool:
    """A write of Certificate `name`'s status that sets its Ready condition to True."""
    if request.resource != "certificates/status" or request.name != name:
        return False
    if request.verb not in ("patch", "update"):
        return False
    conditions = ((request.body or {}).get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
