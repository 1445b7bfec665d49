"""The ingress-shim's sync: the plan carried out through the Kubernetes client, Warnings posted once per
change, API errors retried. The API is an in-memory fake; tests/e2e/test_ingress_shim.py runs the same
against the real apiserver."""

from __future__ import annotations

import datetime
from typing import Any

from evercert.core.reasons import INGRESS_CONFLICT, INVALID_INGRESS, SECRET_NAME_CONFLICT
from evercert.ingress_shim.annotations import ShimOptions
from evercert.ingress_shim.bodies import existing_certificate
from evercert.ingress_shim.model import ExistingCertificate, ShimRequest
from evercert.ingress_shim.requests import ingress_request
from evercert.ingress_shim.sync import Shim, ShimState
from tests.support.clock import ManualClock
from tests.support.custom_objects import FakeKube
from tests.support.events import RecordedEvents

from .test_ingress_shim import NS
from .test_ingress_shim import ingress as ingress_body


def ingress(name: str, hosts: list[str], created: str = "2026-01-01T00:00:00Z") -> Any:
    """An Ingress asking for Certificate site-tls for `hosts` (no tls entry at all when there are none)."""
    tls = [{"hosts": hosts, "secretName": "site-tls"}] if hosts else []
    return ingress_body(tls=tls, name=name, uid=f"uid-{name}", created=created)


class Cluster:
    """The shim with a fake API, and the two indexes kopf would keep from the watched objects."""

    def __init__(self) -> None:
        self.kube = FakeKube()
        self.events = RecordedEvents()
        self.clock = ManualClock(datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC))
        self.state = ShimState()
        self.shim = Shim(self.state, self.kube, self.events, self.clock, retry_after=0)  # type: ignore[arg-type]
        self.ingresses: list[Any] = []

    def requests(self) -> dict[str, list[ShimRequest]]:
        found = [ingress_request(body, ShimOptions()) for body in self.ingresses]
        return {NS: [request for request in found if request is not None]}

    def certificates(self) -> dict[str, list[ExistingCertificate]]:
        return {NS: [existing_certificate(body) for body in self.kube.custom.objects.values()]}

    async def ingress_changed(self, body: Any) -> None:
        await self.shim.owner_changed(body, self.requests(), self.certificates())

    async def sync(self) -> None:
        await self.shim.sync(NS, self.requests(), self.certificates())

    def certificate(self, name: str = "site-tls") -> Any:
        return self.kube.custom.get(NS, name)


async def test_an_annotated_ingress_gets_a_certificate_it_controls_and_a_second_look_writes_nothing() -> None:
    cluster = Cluster()
    web = ingress("web", ["www.example.org"])
    cluster.ingresses.append(web)
    await cluster.ingress_changed(web)
    cert = cluster.certificate()
    assert cert["spec"]["dnsNames"] == ["www.example.org"]
    assert [(ref["kind"], ref["uid"]) for ref in cert["metadata"]["ownerReferences"]] == [
        ("Ingress", "uid-web")
    ]
    assert cluster.kube.custom.requests == ["create"]
    await cluster.sync()
    assert cluster.kube.custom.requests == ["create"]
    assert cluster.events.posted == []


async def test_a_changed_ingress_updates_its_certificate_and_one_no_longer_asking_deletes_it() -> None:
    cluster = Cluster()
    web = ingress("web", ["www.example.org"])
    cluster.ingresses.append(web)
    await cluster.sync()
    cluster.ingresses[0] = ingress("web", ["www.example.org", "shop.example.org"])
    await cluster.sync()
    assert cluster.certificate()["spec"]["dnsNames"] == ["www.example.org", "shop.example.org"]
    cluster.ingresses.clear()
    await cluster.sync()
    assert cluster.certificate() is None


async def test_a_conflict_is_set_on_the_certificate_and_warned_once_until_it_changes() -> None:
    cluster = Cluster()
    cluster.ingresses.append(ingress("a", ["a.example.org"]))
    await cluster.sync()
    cluster.ingresses.append(ingress("b", ["b.example.org"], created="2026-01-02T00:00:00Z"))
    stale = cluster.certificates()  # the index has not seen the condition yet: the plan reports again
    await cluster.shim.sync(NS, cluster.requests(), stale)
    await cluster.shim.sync(NS, cluster.requests(), stale)
    (condition,) = cluster.certificate()["status"]["conditions"]
    assert (condition["type"], condition["reason"]) == (INGRESS_CONFLICT, SECRET_NAME_CONFLICT)
    assert condition["lastTransitionTime"] == "2026-03-01T00:00:00Z"
    assert cluster.events.reasons() == [
        ("Certificate", "site-tls", SECRET_NAME_CONFLICT),
        ("Ingress", "a", SECRET_NAME_CONFLICT),
        ("Ingress", "b", SECRET_NAME_CONFLICT),
    ]
    assert cluster.certificate()["spec"]["dnsNames"] == ["a.example.org"]  # b never overwrites a
    del cluster.ingresses[1]
    await cluster.sync()
    assert cluster.certificate()["status"]["conditions"] == []
    assert len(cluster.events.posted) == 3


async def test_an_invalid_ingress_is_warned_once_per_change_of_what_is_wrong() -> None:
    cluster = Cluster()
    broken = ingress("web", [])
    cluster.ingresses.append(broken)
    await cluster.ingress_changed(broken)
    await cluster.ingress_changed(broken)
    assert cluster.events.reasons() == [("Ingress", "web", INVALID_INGRESS)]
    assert "no spec.tls entries" in cluster.events.posted[0].message
    fixed = ingress("web", ["www.example.org"])
    cluster.ingresses[0] = fixed
    await cluster.ingress_changed(fixed)
    cluster.ingresses[0] = broken
    await cluster.ingress_changed(broken)
    assert cluster.events.reasons() == [("Ingress", "web", INVALID_INGRESS)] * 2


async def test_an_api_error_is_retried_later_with_the_indexes_as_they_are_then() -> None:
    cluster = Cluster()
    cluster.ingresses.append(ingress("web", ["www.example.org"]))
    cluster.kube.custom.failures.append(500)
    await cluster.sync()
    assert cluster.certificate() is None
    retry = cluster.state.retries[NS]
    await retry
    assert cluster.certificate() is not None
    assert NS not in cluster.state.retries


async def test_events_about_unrelated_certificates_cost_no_request() -> None:
    cluster = Cluster()
    mine = {
        "apiVersion": "evercert.dev/v1",
        "kind": "Certificate",
        "metadata": {"name": "mine", "namespace": NS},
    }
    mine["spec"] = {"secretName": "mine", "dnsNames": ["x.example.org"]}
    await cluster.shim.certificate_changed(mine, cluster.requests(), cluster.certificates())
    assert cluster.kube.custom.requests == []
