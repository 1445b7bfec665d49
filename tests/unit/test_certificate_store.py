"""What the watch keeps of a Certificate, and which changes ask for a look (certificates.store)."""

from __future__ import annotations

from typing import Any

from evercert.certificates.store import CertificateStore, trimmed


def body(generation: int = 1, status: dict[str, Any] | None = None, **annotations: str) -> dict[str, Any]:
    return {
        "apiVersion": "evercert.dev/v1",
        "kind": "Certificate",
        "metadata": {
            "name": "web",
            "namespace": "shop",
            "uid": "u-1",
            "generation": generation,
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "annotations": {"kopf.zalando.org/last-handled-configuration": "{...}", **annotations},
            "managedFields": [{"manager": "kubectl"}],
            "labels": {"team": "shop"},
        },
        "spec": {"secretName": "web-tls"},
        "status": status or {},
    }


def test_a_new_certificate_asks_for_a_look() -> None:
    assert CertificateStore().observe(body())


def test_its_own_status_writes_do_not_ask_for_another_look() -> None:
    store = CertificateStore()
    store.observe(body())
    store.looking(("shop", "web"))
    assert not store.observe(body(status={"revision": 1, "conditions": [{"type": "Ready"}]}))
    assert store.get(("shop", "web"))["status"] == {"revision": 1, "conditions": [{"type": "Ready"}]}


def test_a_spec_change_or_a_renew_request_asks_for_a_look() -> None:
    store = CertificateStore()
    store.observe(body())
    store.looking(("shop", "web"))
    assert store.observe(body(generation=2))
    store.looking(("shop", "web"))
    assert store.observe(body(generation=2, **{"evercert.dev/renew-requested-at": "2026-01-01T00:00:00Z"}))


def test_a_renew_request_already_acted_on_does_not() -> None:
    store = CertificateStore()
    done = {"lastRenewRequest": "2026-01-01T00:00:00Z"}
    store.observe(body(status=done, **{"evercert.dev/renew-requested-at": "2026-01-01T00:00:00Z"}))
    store.looking(("shop", "web"))
    assert not store.observe(body(status=done, **{"evercert.dev/renew-requested-at": "2026-01-01T00:00:00Z"}))


def test_only_what_the_lifecycle_reads_is_kept() -> None:
    kept = trimmed(body(**{"evercert.dev/renew-requested-at": "x"}))
    assert kept["metadata"] == {
        "name": "web",
        "namespace": "shop",
        "uid": "u-1",
        "generation": 1,
        "creationTimestamp": "2026-01-01T00:00:00Z",
        "annotations": {"evercert.dev/renew-requested-at": "x"},
        "labels": {"team": "shop"},  # solver selectors match them
    }
    assert kept["spec"] == {"secretName": "web-tls"}


def test_a_forgotten_certificate_is_gone_and_new_again() -> None:
    store = CertificateStore()
    store.observe(body())
    store.looking(("shop", "web"))
    store.forget(("shop", "web"))
    assert store.get(("shop", "web")) is None and len(store) == 0
    assert store.observe(body())


def test_the_shims_read_a_namespace_with_the_controller_reference_kept() -> None:
    store = CertificateStore()
    owned = body()
    owned["metadata"]["ownerReferences"] = [
        {"kind": "Ingress", "apiVersion": "v1", "uid": "i-1", "name": "web", "controller": True},
        {"kind": "Team", "apiVersion": "example.org/v1", "uid": "t-1", "name": "shop"},
    ]
    store.observe(owned)
    other = body()
    other["metadata"].update(name="api", uid="u-2")
    store.observe(other)
    elsewhere = body()
    elsewhere["metadata"].update(namespace="blog", uid="u-3")
    store.observe(elsewhere)

    shop = {b["metadata"]["name"]: b for b in store.in_namespace("shop")}
    assert sorted(shop) == ["api", "web"]
    assert [r["uid"] for r in shop["web"]["metadata"]["ownerReferences"]] == ["i-1"]
    assert "ownerReferences" not in shop["api"]["metadata"]
    store.forget(("shop", "web"))
    store.forget(("shop", "api"))
    assert store.in_namespace("shop") == []
    assert [b["metadata"]["namespace"] for b in store.in_namespace("blog")] == ["blog"]


def test_every_reader_gets_a_copy_of_its_own() -> None:
    store = CertificateStore()
    store.observe(body(status={"conditions": [{"type": "Ready", "status": "True"}]}))
    first = store.get(("shop", "web"))
    assert first is not None
    first["status"]["conditions"].append({"type": "Issuing"})
    first["spec"]["secretName"] = "changed"
    again = store.get(("shop", "web"))
    assert again == trimmed(body(status={"conditions": [{"type": "Ready", "status": "True"}]}))
    assert store.in_namespace("shop") == [again]
