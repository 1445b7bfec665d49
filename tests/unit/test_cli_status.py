"""`evercert status`: the table rows from Certificates' status."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from evercert.cli.status import dns_challenges_table, status_table
from evercert.cli.view import certificate_view

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


def certificate(name: str, namespace: str = "web", **status: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": namespace, "creationTimestamp": "2025-12-31T12:00:00Z"},
        "spec": {"secretName": f"{name}-tls", "issuerRef": {"name": "letsencrypt", "kind": "ClusterIssuer"}},
        "status": status,
    }


READY = {
    "conditions": [
        {"type": "Issuing", "status": "False", "reason": "Issued"},
        {"type": "Ready", "status": "True", "reason": "Ready", "message": "certificate is up to date"},
    ],
    "notAfter": "2026-03-31T12:00:00Z",
    "renewalTime": "2026-03-01T12:00:00Z",
    "revision": 2,
}


def rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines()]


def test_a_ready_certificate_shows_expiry_renewal_reason_and_age() -> None:
    text = status_table([certificate("www", **READY)], NOW, all_namespaces=False, wide=False)
    assert rows(text) == [
        ["NAME", "READY", "SECRET", "ISSUER", "EXPIRES", "RENEWS", "REASON", "AGE"],
        ["www", "True", "www-tls", "letsencrypt", "in", "89d", "in", "59d", "Ready", "24h"],
    ]


def test_a_failing_certificate_shows_the_ready_reason_and_no_dates() -> None:
    failing = {"conditions": [{"type": "Ready", "status": "False", "reason": "IssuerNotFound"}]}
    text = status_table([certificate("api", **failing)], NOW, all_namespaces=False, wide=False)
    assert rows(text)[1] == [
        "api",
        "False",
        "api-tls",
        "letsencrypt",
        "<none>",
        "<none>",
        "IssuerNotFound",
        "24h",
    ]


def test_a_certificate_without_status_is_unknown() -> None:
    text = status_table([certificate("new")], NOW, all_namespaces=False, wide=False)
    assert rows(text)[1][:2] == ["new", "Unknown"]


def test_all_namespaces_adds_the_namespace_column_first() -> None:
    bodies = [certificate("www", "a", **READY), certificate("www", "b", **READY)]
    table = rows(status_table(bodies, NOW, all_namespaces=True, wide=False))
    assert table[0][:2] == ["NAMESPACE", "NAME"]
    assert [row[:2] for row in table[1:]] == [["a", "www"], ["b", "www"]]


def test_wide_adds_the_revision_and_the_message() -> None:
    text = status_table([certificate("www", **READY)], NOW, all_namespaces=False, wide=True)
    header, row = text.splitlines()
    assert header.split()[-2:] == ["REVISION", "MESSAGE"]
    assert row.split()[-6:] == ["2", "certificate", "is", "up", "to", "date"]


def test_an_overdue_renewal_is_shown_in_the_past() -> None:
    overdue = {**READY, "renewalTime": "2026-01-01T09:00:00Z"}
    assert "3h ago" in status_table([certificate("www", **overdue)], NOW, all_namespaces=False, wide=False)


def test_view_tolerates_garbled_fields() -> None:
    view = certificate_view(
        {"metadata": {}, "status": {"conditions": ["junk"], "notAfter": 5, "revision": "x"}}
    )
    assert (view.name, view.ready, view.not_after, view.revision) == ("", "Unknown", None, None)


def test_dns01_challenges_in_flight_show_name_record_and_what_the_check_saw() -> None:
    record = {
        "fqdn": "_acme-challenge.x.dns01.test.",
        "zone": "dns01.test.",
        "value": "abc",
        "dnsName": "*.x.dns01.test",
        "solver": 0,
        "seen": "ns.dns01.test. (127.0.0.1:53): NXDOMAIN",
    }
    body = {
        "metadata": {"namespace": "shop", "name": "wild"},
        "status": {"order": {"url": "https://ca/order/1", "dnsRecords": [record]}},
    }
    lines = dns_challenges_table([body, {"metadata": {"name": "calm"}, "status": {}}]).splitlines()
    assert lines[0].split() == ["CERTIFICATE", "NAME", "RECORD", "VALUE", "SEEN"]
    assert lines[1].split()[:5] == [
        "shop/wild",
        "*.x.dns01.test",
        "_acme-challenge.x.dns01.test.",
        "TXT",
        "abc",
    ]
    assert lines[1].endswith("ns.dns01.test. (127.0.0.1:53): NXDOMAIN")
    assert len(lines) == 2
    assert dns_challenges_table([{"metadata": {"name": "calm"}, "status": {}}]) == ""
