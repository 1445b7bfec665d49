"""The gateway-shim for ListenerSets (Gateway API v1.5, standard channel): an annotated ListenerSet asks
for Certificates as a Gateway does, and owns them."""

from __future__ import annotations

from typing import Any

from evercert.core.reasons import INVALID_LISTENER_SET, LISTENER_SET_CONFLICT
from evercert.gateway_shim import LISTENER_SET, listener_set_request
from evercert.ingress_shim.annotations import ShimOptions
from evercert.ingress_shim.bodies import certificate_body, existing_certificate
from evercert.ingress_shim.plan import Write, plan

from .test_gateway_shim import ISSUER, NS, listener, secret, specs


def listener_set(*listeners: dict[str, Any], annotations: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "ListenerSet",
        "metadata": {
            "name": "team-a",
            "namespace": NS,
            "uid": "uid-team-a",
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "annotations": ISSUER if annotations is None else annotations,
        },
        "spec": {"parentRef": {"name": "shared"}, "listeners": list(listeners)},
    }


def test_an_annotated_listener_set_asks_for_a_certificate_per_secret() -> None:
    body = listener_set(
        listener("www", "www.team-a.example.org", secret("team-a-tls")),
        listener("apex", "team-a.example.org", secret("team-a-tls")),
    )

    request = listener_set_request(body, ShimOptions())

    assert request is not None and request.owner.uid == "uid-team-a"
    assert specs(request) == {
        "team-a-tls": {
            "secretName": "team-a-tls",
            "dnsNames": ["www.team-a.example.org", "team-a.example.org"],
            "issuerRef": {"name": "letsencrypt", "kind": "ClusterIssuer"},
        }
    }


def test_a_listener_set_without_the_annotations_asks_for_nothing() -> None:
    body = listener_set(listener("www", "www.example.org", secret("www-tls")), annotations={})

    assert listener_set_request(body, ShimOptions()) is None


def test_what_is_wrong_with_a_listener_set_names_it() -> None:
    body = listener_set(
        listener("plain", "plain.example.org", protocol="HTTP"),
        listener("far", "far.example.org", secret("far-tls", namespace="elsewhere")),
    )

    request = listener_set_request(body, ShimOptions())

    assert request is not None and request.certificates == ()
    assert request.problems == (
        "listener 'far': tls.certificateRefs names Secret elsewhere/far-tls, in another namespace: evercert "
        "makes Certificates only for Secrets in the ListenerSet's own namespace",
    )
    assert listener_set_request(listener_set(), ShimOptions()).problems == (  # type: ignore[union-attr]
        "the ListenerSet has no HTTPS or TLS listener: add one with a hostname and tls.certificateRefs",
    )
    assert (LISTENER_SET.invalid_reason, LISTENER_SET.conflict_condition) == (
        INVALID_LISTENER_SET,
        LISTENER_SET_CONFLICT,
    )


def test_the_certificates_of_a_listener_set_are_controlled_by_it() -> None:
    body = listener_set(listener("www", "www.example.org", secret("www-tls")))
    request = listener_set_request(body, ShimOptions())
    assert request is not None

    (write,) = plan([request], {}, LISTENER_SET)
    assert isinstance(write, Write)
    body = certificate_body(write.desired, NS, write.owner, LISTENER_SET)

    assert body["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "ListenerSet",
            "name": "team-a",
            "uid": "uid-team-a",
            "controller": True,
        }
    ]
    made = existing_certificate({**body, "metadata": {**body["metadata"], "uid": "uid-cert"}}, LISTENER_SET)
    assert made.owner_uid == "uid-team-a"
