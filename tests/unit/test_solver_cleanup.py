"""Removing the solver objects (kube/solvers.py): one DeleteCollection per kind, by label; a kind the API
cannot delete as a collection (405) is listed and deleted object by object; a kind the cluster lacks
(404: no Gateway API) is skipped."""

from __future__ import annotations

from typing import Any

from evercert.kube.solvers import delete_solver_objects
from tests.support.kube_answers import Answer

SELECTOR = "evercert.dev/certificate=web"


class Kind:
    """One kind's objects, and the calls made for it."""

    def __init__(self, name: str, objects: list[str], collection_status: int = 200) -> None:
        self.name, self.objects, self.collection_status = name, list(objects), collection_status
        self.calls: list[str] = []

    async def delete_collection(self, namespace: str, **options: Any) -> Answer:
        assert options["label_selector"] == SELECTOR and options["grace_period_seconds"] == 0
        self.calls.append("deletecollection")
        if self.collection_status != 200:
            return Answer(self.collection_status, {"kind": "Status", "code": self.collection_status})
        deleted, self.objects = self.objects, []
        return Answer(200, {"items": [{"metadata": {"name": n}} for n in deleted]})

    async def list(self, namespace: str, **options: Any) -> Answer:
        self.calls.append("list")
        return Answer(200, {"items": [{"metadata": {"name": n}} for n in self.objects]})

    async def delete(self, name: str, namespace: str, **options: Any) -> Answer:
        self.calls.append(f"delete {name}")
        self.objects.remove(name)
        return Answer(200, {})


class FakeApi:
    def __init__(self, **kinds: Kind) -> None:
        for kind in kinds.values():
            setattr(self, f"delete_collection_namespaced_{kind.name}", kind.delete_collection)
            setattr(self, f"list_namespaced_{kind.name}", kind.list)
            setattr(self, f"delete_namespaced_{kind.name}", kind.delete)


class FakeCustom:
    def __init__(self, routes: Kind) -> None:
        self.routes = routes

    async def delete_collection_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, **options: Any
    ) -> Answer:
        return await self.routes.delete_collection(namespace, **options)

    async def list_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, **options: Any
    ) -> dict[str, Any]:
        return {"items": [{"metadata": {"name": n}} for n in self.routes.objects]}

    async def delete_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, name: str, **options: Any
    ) -> Answer:
        return await self.routes.delete(name, namespace)


class FakeKube:
    def __init__(self, pods: Kind, services: Kind, ingresses: Kind, routes: Kind) -> None:
        self.core = FakeApi(pods=pods, services=services)
        self.networking = FakeApi(ingresses=ingresses)
        self.custom = FakeCustom(routes)


async def test_each_kind_goes_with_one_request() -> None:
    pods, services = Kind("pod", ["solver-a"]), Kind("service", ["solver-a"])
    ingresses, routes = Kind("ingress", ["solver-a"]), Kind("httproute", [])
    kube = FakeKube(pods, services, ingresses, routes)
    assert await delete_solver_objects(kube, "shop", SELECTOR) == 3  # type: ignore[arg-type]
    assert [k.calls for k in (pods, services, ingresses, routes)] == [["deletecollection"]] * 4


async def test_a_kind_without_deletecollection_is_deleted_one_by_one_and_a_missing_kind_is_skipped() -> None:
    pods = Kind("pod", ["solver-a"])
    services = Kind("service", ["solver-a", "solver-b"], collection_status=405)
    ingresses, routes = Kind("ingress", ["solver-a"]), Kind("httproute", [], collection_status=404)
    kube = FakeKube(pods, services, ingresses, routes)
    assert await delete_solver_objects(kube, "shop", SELECTOR) == 4  # type: ignore[arg-type]
    assert services.calls == ["deletecollection", "list", "delete solver-a", "delete solver-b"]
    assert services.objects == [] and pods.objects == [] and ingresses.objects == []
    assert routes.calls == ["deletecollection"]
