"""The gateway-shim's pure logic: what an annotated Gateway asks for (cert-manager's gateway-shim rules),
and the plan for a namespace, with Gateways as the owners."""

from __future__ import annotations

import datetime
from typing import Any

from evercert.core.reasons import GATEWAY_CONFLICT, INGRESS_CONFLICT
from evercert.gateway_shim import GATEWAY, gateway_request
from evercert.ingress_shim.annotations import ShimOptions
from evercert.ingress_shim.bodies import certificate_body, existing_certificate
from evercert.ingress_shim.model import OwnerRef, ShimRequest
from evercert.ingress_shim.plan import Delete, Report, Write, conflict_conditions, plan

NS = "shop"
ISSUER = {"evercert.dev/cluster-issuer": "letsencrypt"}


def listener(
    name: str, hostname: str | None, *refs: dict[str, Any], protocol: str = "HTTPS"
) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "protocol": protocol, "port": 443}
    if hostname is not None:
        entry["hostname"] = hostname
    if refs:
        entry["tls"] = {"mode": "Terminate", "certificateRefs": list(refs)}
    return entry


def secret(name: str, **more: str) -> dict[str, Any]:
    return {"name": name, **more}


def gateway(
    *listeners: dict[str, Any],
    annotations: dict[str, str] | None = None,
    name: str = "edge",
    uid: str = "uid-edge",
    created: str = "2026-01-01T00:00:00Z",
) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {
            "name": name,
            "namespace": NS,
            "uid": uid,
            "creationTimestamp": created,
            "annotations": ISSUER if annotations is None else annotations,
        },
        "spec": {"gatewayClassName": "any", "listeners": list(listeners)},
    }


def request_of(body: dict[str, Any]) -> ShimRequest:
    request = gateway_request(body, ShimOptions())
    assert request is not None
    return request


def specs(request: ShimRequest) -> dict[str, dict[str, Any]]:
    return {desired.name: dict(desired.spec) for desired in request.certificates}


class TestWhatAGatewayAsksFor:
    def test_one_certificate_per_secret_of_an_https_or_tls_listener(self) -> None:
        body = gateway(
            listener("www", "www.example.org", secret("www-tls")),
            listener("api", "api.example.org", secret("api-tls"), protocol="TLS"),
        )
        request = request_of(body)
        assert request.problems == ()
        assert request.owner == OwnerRef("edge", "uid-edge", "2026-01-01T00:00:00Z")
        assert specs(request) == {
            "www-tls": {
                "secretName": "www-tls",
                "dnsNames": ["www.example.org"],
                "issuerRef": {"name": "letsencrypt", "kind": "ClusterIssuer"},
            },
            "api-tls": {
                "secretName": "api-tls",
                "dnsNames": ["api.example.org"],
                "issuerRef": {"name": "letsencrypt", "kind": "ClusterIssuer"},
            },
        }

    def test_listeners_sharing_a_secret_merge_their_hostnames(self) -> None:
        body = gateway(
            listener("a", "a.example.org", secret("shared")),
            listener("b", "b.example.org", secret("shared", kind="Secret", group="")),
            listener("a-again", "a.example.org", secret("shared")),
        )
        assert specs(request_of(body))["shared"]["dnsNames"] == ["a.example.org", "b.example.org"]

    def test_plain_http_and_passthrough_listeners_ask_for_nothing(self) -> None:
        passthrough = listener("pass", "pass.example.org", protocol="TLS")
        passthrough["tls"] = {"mode": "Passthrough"}
        body = gateway(
            listener("http", "www.example.org", protocol="HTTP"),
            passthrough,
            listener("www", "www.example.org", secret("www-tls")),
        )
        request = request_of(body)
        assert set(specs(request)) == {"www-tls"} and request.problems == ()

    def test_not_annotated_asks_for_nothing(self) -> None:
        body = gateway(listener("www", "www.example.org", secret("www-tls")), annotations={})
        assert gateway_request(body, ShimOptions()) is None

    def test_reads_the_same_annotations_as_the_ingress_shim(self) -> None:
        annotations = {"evercert.dev/issuer": "local", "evercert.dev/duration": "720h"}
        body = gateway(listener("www", "www.example.org", secret("www-tls")), annotations=annotations)
        spec = specs(request_of(body))["www-tls"]
        assert spec["issuerRef"] == {"name": "local", "kind": "Issuer"} and spec["duration"] == "720h"


class TestMistakesAreReported:
    def test_both_issuer_annotations(self) -> None:
        both = {"evercert.dev/issuer": "a", "evercert.dev/cluster-issuer": "b"}
        request = request_of(gateway(listener("www", "www.example.org", secret("t")), annotations=both))
        assert request.certificates == ()
        assert request.problems == ("set only one of evercert.dev/issuer and evercert.dev/cluster-issuer",)

    def test_a_listener_without_hostname(self) -> None:
        request = request_of(
            gateway(listener("any", None, secret("t")), listener("ok", "ok.example.org", secret("ok")))
        )
        assert set(specs(request)) == {"ok"}
        assert request.problems == ("listener 'any' has no hostname: set the name the certificate is for",)

    def test_a_wildcard_hostname(self) -> None:
        (problem,) = request_of(gateway(listener("all", "*.example.org", secret("t")))).problems
        assert problem.startswith("listener 'all' has the wildcard hostname '*.example.org'")

    def test_a_secret_in_another_namespace(self) -> None:
        request = request_of(gateway(listener("www", "www.example.org", secret("t", namespace="certs"))))
        assert request.certificates == ()
        (problem,) = request.problems
        assert problem.startswith(
            "listener 'www': tls.certificateRefs names Secret certs/t, in another namespace"
        )

    def test_a_ref_that_is_not_a_secret(self) -> None:
        ref = secret("t", kind="ConfigMap")
        (problem,) = request_of(gateway(listener("www", "www.example.org", ref))).problems
        assert problem == "listener 'www': tls.certificateRefs names ConfigMap 't' of group '', not a Secret"

    def test_a_listener_without_certificate_refs(self) -> None:
        (problem,) = request_of(gateway(listener("www", "www.example.org"))).problems
        assert problem.startswith("listener 'www' has no tls.certificateRefs")

    def test_no_tls_listener_at_all(self) -> None:
        (problem,) = request_of(gateway(listener("http", "www.example.org", protocol="HTTP"))).problems
        assert problem.startswith("the Gateway has no HTTPS or TLS listener")


def existing(body: dict[str, Any]) -> Any:
    return existing_certificate({**body, "metadata": {**body["metadata"], "uid": "uid-cert"}}, GATEWAY)


class TestThePlanForGateways:
    def test_certificates_are_owned_by_the_gateway_without_blocking_its_deletion(self) -> None:
        request = request_of(gateway(listener("www", "www.example.org", secret("www-tls"))))
        (write,) = plan([request], {}, GATEWAY)
        assert isinstance(write, Write) and write.existing is None
        body = certificate_body(write.desired, NS, write.owner, GATEWAY)
        assert body["metadata"]["ownerReferences"] == [
            {
                "apiVersion": "gateway.networking.k8s.io/v1",
                "kind": "Gateway",
                "name": "edge",
                "uid": "uid-edge",
                "controller": True,
            }
        ]

    def test_a_certificate_of_a_gateway_no_longer_asking_is_deleted(self) -> None:
        request = request_of(gateway(listener("www", "www.example.org", secret("www-tls"))))
        (write,) = plan([request], {}, GATEWAY)
        made = existing(certificate_body(write.desired, NS, write.owner, GATEWAY))
        assert made.owner_uid == "uid-edge"
        assert plan([], {"www-tls": made}, GATEWAY) == [Delete(made)]

    def test_an_ingress_certificate_is_not_the_gateways_to_delete_or_take(self) -> None:
        request = request_of(gateway(listener("www", "www.example.org", secret("www-tls"))))
        (write,) = plan([request], {}, GATEWAY)
        from_ingress = certificate_body(write.desired, NS, OwnerRef("web", "uid-web"))
        seen = existing(from_ingress)
        assert seen.owner_uid is None
        assert plan([], {"www-tls": seen}, GATEWAY) == []
        (report,) = plan([request], {"www-tls": seen}, GATEWAY)
        assert isinstance(report, Report) and report.owners == (request.owner,)
        assert report.message is not None and "was not made from a Gateway" in report.message
        assert "choose another Secret in tls.certificateRefs in the Gateway" in report.message

    def test_two_gateways_asking_differently_are_reported_on_the_gateway_condition(self) -> None:
        first = request_of(gateway(listener("a", "a.example.org", secret("shared"))))
        second = request_of(
            gateway(
                listener("b", "b.example.org", secret("shared")),
                name="other",
                uid="uid-other",
                created="2027",
            )
        )
        (write,) = plan([first, second], {}, GATEWAY)
        made = existing(certificate_body(write.desired, NS, write.owner, GATEWAY))
        (report,) = plan([first, second], {"shared": made}, GATEWAY)
        assert isinstance(report, Report) and report.message is not None
        assert report.message.startswith("Gateways 'edge', 'other' ask for Secret 'shared'")
        now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
        conditions = conflict_conditions([], report.message, 1, now, GATEWAY)
        assert [c["type"] for c in conditions] == [GATEWAY_CONFLICT] != [INGRESS_CONFLICT]
