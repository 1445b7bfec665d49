"""The helpers that count an issuance's requests: audit log records and ACME paths."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..support import acme_requests
from ..support.audit import AuditLog, Scope, breakdown, reports_ready, requests_of
from ..support.tally import table

T0 = "2026-01-01T12:00:00.000000Z"


def record(
    verb: str,
    resource: str,
    *,
    namespace: str | None = None,
    name: str | None = None,
    subresource: str | None = None,
    user: str = "op",
    stage: str = "ResponseComplete",
    received: str = T0,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An audit event shaped as kube-apiserver writes it (fields the helpers don't read left out)."""
    ref = {"resource": resource, "namespace": namespace, "name": name, "subresource": subresource}
    event: dict[str, Any] = {
        "kind": "Event",
        "stage": stage,
        "verb": verb,
        "user": {"username": user, "groups": ["system:masters"]},
        "objectRef": {k: v for k, v in ref.items() if v is not None},
        "responseStatus": {"code": 200},
        "requestReceivedTimestamp": received,
        "stageTimestamp": received,
    }
    if body is not None:
        event["requestObject"] = body
    return event


def write_log(path: Path, *events: dict[str, Any]) -> AuditLog:
    path.write_text("".join(json.dumps(e) + "\n" for e in events) + '{"kind": "Event", "sta')
    return AuditLog(path)


def test_reads_completed_requests_and_leaves_out_watches_and_a_half_written_line(tmp_path: Path) -> None:
    log = write_log(
        tmp_path / "audit.log",
        record("get", "secrets", namespace="ns", name="web-tls"),
        record("watch", "secrets", namespace="ns"),
        record("watch", "pods", namespace="ns", stage="ResponseStarted"),
        record("patch", "certificates", namespace="ns", name="web", subresource="status"),
    )
    requests = log.requests()
    assert [r.key() for r in requests] == ["get secrets/web-tls", "patch certificates/status"]
    assert requests[0].received == datetime.datetime(2026, 1, 1, 12, tzinfo=datetime.UTC)


def test_reading_from_an_offset_sees_only_what_came_later(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    path.write_text(json.dumps(record("get", "pods", namespace="ns", name="a")) + "\n")
    log = AuditLog(path)
    offset = log.size()
    with path.open("a") as handle:
        handle.write(json.dumps(record("delete", "pods", namespace="ns", name="a")) + "\n")
    assert [r.verb for r in log.requests(offset)] == ["delete"]


def test_keeps_one_users_requests_in_the_namespace_and_the_named_objects_outside_it(tmp_path: Path) -> None:
    later = "2026-01-01T12:00:01.000000Z"
    log = write_log(
        tmp_path / "audit.log",
        record("get", "secrets", namespace="ns", name="web-tls", received=later),
        record("get", "secrets", namespace="ns", name="web-tls", received=later, user="kubectl"),
        record("get", "secrets", namespace="evercert", name="ca-account-key", received=later),
        record("get", "secrets", namespace="evercert", name="other-account-key", received=later),
        record("get", "clusterissuers", name="ca", received=later),
        record("get", "secrets", namespace="ns", name="web-tls"),  # before the window
    )
    others = frozenset({("secrets", "evercert", "ca-account-key"), ("clusterissuers", None, "ca")})
    scope = Scope("ns", others)
    since = datetime.datetime(2026, 1, 1, 12, 0, 0, 500000, tzinfo=datetime.UTC)
    kept = requests_of(log.requests(), "op", scope, since)
    assert breakdown(kept) == {
        "get secrets/web-tls": 1,
        "get secrets/ca-account-key": 1,
        "get clusterissuers": 1,
    }


def test_tells_the_status_write_that_reports_ready(tmp_path: Path) -> None:
    issuing = {"status": {"conditions": [{"type": "Ready", "status": "False"}, {"type": "Issuing"}]}}
    ready = {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    log = write_log(
        tmp_path / "audit.log",
        record("patch", "certificates", namespace="ns", name="web", subresource="status", body=issuing),
        record("patch", "certificates", namespace="ns", name="web", subresource="status", body=ready),
        record("patch", "certificates", namespace="ns", name="other", subresource="status", body=ready),
    )
    assert [reports_ready(r, "web") for r in log.requests()] == [False, True, False]


@dataclass
class Seen:
    at: float
    method: str
    path: str


def test_names_pebbles_paths_as_acme_resources_and_tells_polls_apart() -> None:
    sent = [
        Seen(0, "HEAD", "/nonce-plz"),
        Seen(0, "POST", "/order-plz"),
        Seen(0, "POST", "/authZ/a"),
        Seen(0, "POST", "/chalZ/a1"),
        Seen(0, "POST", "/authZ/a"),
        Seen(0, "POST", "/my-order/o"),
        Seen(0, "POST", "/finalize-order/o"),
        Seen(0, "POST", "/my-order/o"),
        Seen(0, "POST", "/certZ/c"),
        Seen(0, "GET", "/draft-ietf-acme-ari-03/renewalInfo/x.y"),
    ]
    assert len(acme_requests.polls(sent)) == 2
    assert acme_requests.breakdown(sent) == {
        "HEAD newNonce": 1,
        "POST newOrder": 1,
        "POST authorization": 1,
        "POST authorization (poll)": 1,
        "POST challenge": 1,
        "POST order": 1,
        "POST order (poll)": 1,
        "POST finalize": 1,
        "POST certificate": 1,
        "GET renewalInfo": 1,
    }


def test_a_table_lists_the_most_frequent_first_and_the_total() -> None:
    lines = table({"get pods": 1, "create pods": 12}).splitlines()
    assert lines == ["  12  create pods", "   1  get pods", "  13  total"]
