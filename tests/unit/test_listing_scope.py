"""Which LISTs the start-up listing makes (kube/listing.py): one per namespace for plain names, one
cluster-wide LIST otherwise, kept to the namespaces that kopf's patterns match."""

from __future__ import annotations

from typing import Any

from evercert.kube import listing
from tests.support.kube_answers import Answer

CERTIFICATES = [("team-a", "web"), ("team-b", "api"), ("kube-system", "x"), ("other", "y")]


class FakeCustom:
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def list_cluster_custom_object(self, group: str, version: str, plural: str, **_: Any) -> Answer:
        self.calls.append("cluster")
        return page(CERTIFICATES)

    async def list_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, **_: Any
    ) -> Answer:
        self.calls.append(namespace)
        return page([key for key in CERTIFICATES if key[0] == namespace])


def page(keys: list[tuple[str, str]]) -> Answer:
    return Answer(200, {"items": [{"metadata": {"namespace": ns, "name": n}} for ns, n in keys]})


class FakeKube:
    def __init__(self) -> None:
        self.custom = FakeCustom()


async def test_plain_names_are_listed_one_namespace_at_a_time() -> None:
    kube = FakeKube()
    found = await listing.certificates(kube, ["team-a", "other"])  # type: ignore[arg-type]
    assert found == {("team-a", "web"), ("other", "y")}
    assert kube.custom.calls == ["team-a", "other"]


async def test_no_namespaces_means_one_cluster_wide_list() -> None:
    kube = FakeKube()
    assert await listing.certificates(kube, []) == set(CERTIFICATES)  # type: ignore[arg-type]
    assert kube.custom.calls == ["cluster"]


async def test_patterns_take_one_cluster_wide_list_kept_to_what_they_match() -> None:
    kube = FakeKube()
    found = await listing.certificates(kube, ["team-*", "other"])  # type: ignore[arg-type]
    assert found == {("team-a", "web"), ("team-b", "api"), ("other", "y")}
    assert kube.custom.calls == ["cluster"]
    excluded = await listing.certificates(FakeKube(), ["!kube-*"])  # type: ignore[arg-type]
    assert excluded == {("team-a", "web"), ("team-b", "api"), ("other", "y")}
