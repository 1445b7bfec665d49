"""Reload on renewal, the writes: a restart is patched only when the workload, read afresh, needs it."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from kubernetes_asyncio.client.exceptions import ApiException

from evercert.reload import IssuedCertificate, Workload, reload_workloads, workload

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
SERIALS = "evercert.dev/certificate-serials"
CERTIFICATES = {"web-tls": IssuedCertificate("web-tls", "bb", T0)}


def stateful_set(serials: str | None, resource_version: str = "7", uid: str = "uid-db") -> dict[str, Any]:
    annotations = {SERIALS: serials} if serials else {}
    return {
        "metadata": {
            "name": "db",
            "namespace": "shop",
            "uid": uid,
            "resourceVersion": resource_version,
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "annotations": {"evercert.dev/reload-on-renewal": "web-tls"},
        },
        "spec": {"template": {"metadata": {"annotations": annotations}, "spec": {}}},
    }


class FakeApps:
    """The two calls sync makes, on one stored object; `fail` makes the patch answer with that status."""

    def __init__(self, stored: dict[str, Any] | None, fail: int | None = None) -> None:
        self.stored = stored
        self.fail = fail
        self.patches: list[dict[str, Any]] = []
        self.reads = 0

    async def read_namespaced_stateful_set(self, name: str, namespace: str) -> dict[str, Any]:
        self.reads += 1
        if self.stored is None:
            raise ApiException(status=404)
        return copy.deepcopy(self.stored)

    async def patch_namespaced_stateful_set(
        self, name: str, namespace: str, body: dict[str, Any], _content_type: str
    ) -> None:
        assert _content_type == "application/merge-patch+json"
        if self.fail:
            raise ApiException(status=self.fail)
        self.patches.append(body)


class FakeKube:
    def __init__(self, apps: FakeApps) -> None:
        self.apps = apps

    def to_dict(self, model: dict[str, Any]) -> dict[str, Any]:
        return model


def cached(serials: str | None) -> Workload:
    found = workload("statefulsets", stateful_set(serials, resource_version="5"))
    assert found is not None
    return found


async def test_patches_with_the_resource_version_of_a_fresh_read() -> None:
    apps = FakeApps(stateful_set("web-tls=aa", resource_version="9"))
    done = await reload_workloads(FakeKube(apps), [cached("web-tls=aa")], CERTIFICATES)  # type: ignore[arg-type]
    assert [r.serials for r in done] == ["web-tls=bb"]
    assert apps.patches == [
        {
            "metadata": {"uid": "uid-db", "resourceVersion": "9"},
            "spec": {"template": {"metadata": {"annotations": {SERIALS: "web-tls=bb"}}}},
        }
    ]


async def test_a_stale_cache_does_not_patch_what_the_api_shows_done() -> None:
    apps = FakeApps(stateful_set("web-tls=bb"))
    assert await reload_workloads(FakeKube(apps), [cached("web-tls=aa")], CERTIFICATES) == []  # type: ignore[arg-type]
    assert apps.patches == []


async def test_a_current_cache_makes_no_request_at_all() -> None:
    apps = FakeApps(stateful_set("web-tls=aa"))
    assert await reload_workloads(FakeKube(apps), [cached("web-tls=bb")], CERTIFICATES) == []  # type: ignore[arg-type]
    assert (apps.reads, apps.patches) == (0, [])


@pytest.mark.parametrize(
    ("stored", "fail"),
    [
        (None, None),  # gone
        (stateful_set("web-tls=aa", uid="uid-new"), None),  # another object of that name now
        (stateful_set("web-tls=aa"), 409),  # changed between the read and the patch
        (stateful_set("web-tls=aa"), 404),  # deleted between the read and the patch
    ],
)
async def test_a_workload_gone_or_replaced_or_changed_is_skipped(
    stored: dict[str, Any] | None, fail: int | None
) -> None:
    apps = FakeApps(stored, fail)
    assert await reload_workloads(FakeKube(apps), [cached("web-tls=aa")], CERTIFICATES) == []  # type: ignore[arg-type]
    assert apps.patches == []


async def test_other_api_errors_are_raised_for_the_caller_to_retry() -> None:
    apps = FakeApps(stateful_set("web-tls=aa"), fail=500)
    with pytest.raises(ApiException):
        await reload_workloads(FakeKube(apps), [cached("web-tls=aa")], CERTIFICATES)  # type: ignore[arg-type]
