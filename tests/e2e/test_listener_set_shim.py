"""ListenerSet annotations against the real apiserver, with the operator under the chart's RBAC. The
test bed installs the Gateway API's standard channel, which serves ListenerSet as
gateway.networking.k8s.io/v1 since v1.5: an annotated ListenerSet gets Certificates for the Secrets its
listeners reference, controlled by it, and is never written to."""

from __future__ import annotations

from typing import Any

from evercert_devenv.environment import LOCAL_ISSUER, LocalEnvironment

from ..integration.helpers import assert_valid_tls_secret, wait_ready
from ..support.chart import ChartOperator, audit_events
from ..support.cluster import get
from ..support.waiting import wait_for
from .test_gateway_shim import https
from .test_ingress_shim import certificate_where, cluster_issuer, kopf_marks, warnings


def listener_set(
    namespace: str, name: str, listeners: list[dict[str, Any]], annotations: dict[str, str]
) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "ListenerSet",
        "metadata": {"name": name, "namespace": namespace, "annotations": annotations},
        "spec": {"parentRef": {"name": "shared", "kind": "Gateway"}, "listeners": listeners},
    }


def test_an_annotated_listener_set_gets_the_secrets_its_listeners_reference(
    env: LocalEnvironment, chart_operator: ChartOperator, namespace: str
) -> None:
    listeners = [
        https("www", "www.ls.example.org", "team-tls"),
        https("apex", "ls.example.org", "team-tls"),
        https("far", "far.ls.example.org", "far-tls") | {"port": 8443},
    ]
    listeners[2]["tls"]["certificateRefs"][0]["namespace"] = "elsewhere"  # a mistake: reported, not made
    env.apply(listener_set(namespace, "team", listeners, cluster_issuer(LOCAL_ISSUER)))
    applied = get(env, "listenerset", namespace, "team")
    assert applied is not None

    made = certificate_where(env, namespace, "team-tls", "made", lambda c: True)
    assert made["spec"]["dnsNames"] == ["www.ls.example.org", "ls.example.org"]
    assert made["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "ListenerSet",
            "name": "team",
            "uid": applied["metadata"]["uid"],
            "controller": True,
        }
    ]
    wait_ready(env, namespace, "team-tls", process=chart_operator.process)
    assert_valid_tls_secret(env, namespace, "team-tls", ["www.ls.example.org", "ls.example.org"])
    (warning,) = wait_for(
        lambda: warnings(env, namespace, "ListenerSet", "team", "InvalidListenerSet"),
        30,
        "InvalidListenerSet Warning",
    )
    assert "in another namespace" in warning and "the ListenerSet's own namespace" in warning

    now = get(env, "listenerset", namespace, "team")
    assert now is not None and kopf_marks(now) == [] and now["spec"] == applied["spec"]
    writes = [
        event["verb"]
        for event in audit_events(env, chart_operator.release.service_account_user)
        if (event.get("objectRef") or {}).get("resource") == "listenersets"
        and event["verb"] not in ("get", "list", "watch")
    ]
    assert writes == [], "the operator wrote to the ListenerSet"

    env.controlplane.kubectl("delete", "listenerset", "team", "-n", namespace)
    wait_for(
        lambda: get(env, "certificate", namespace, "team-tls") is None, 90, "Certificates deleted with it"
    )
