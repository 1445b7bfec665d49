"""Gateway annotations against the real apiserver, with the operator under the chart's RBAC: an annotated
Gateway gets Certificates, and so the Secrets its listeners reference; the Gateway is never written to."""

from __future__ import annotations

from typing import Any

from evercert_devenv.environment import LOCAL_ISSUER, LocalEnvironment

from ..integration.helpers import assert_valid_tls_secret, wait_ready
from ..support.chart import ChartOperator, audit_events
from ..support.cluster import get
from ..support.waiting import wait_for
from .test_ingress_shim import certificate_where, cluster_issuer, kopf_marks, warnings


def https(name: str, hostname: str, secret: str) -> dict[str, Any]:
    return {
        "name": name,
        "protocol": "HTTPS",
        "port": 443,
        "hostname": hostname,
        "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "group": "", "name": secret}]},
    }


def gateway(namespace: str, name: str, listeners: list[dict[str, Any]], annotations: dict[str, str]) -> dict:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": name, "namespace": namespace, "annotations": annotations},
        "spec": {"gatewayClassName": "local", "listeners": listeners},
    }


def test_an_annotated_gateway_gets_the_secrets_its_listeners_reference(
    env: LocalEnvironment, chart_operator: ChartOperator, namespace: str
) -> None:
    listeners = [
        https("www", "www.gw.example.org", "site-tls"),
        https("apex", "gw.example.org", "site-tls"),  # the same Secret: one Certificate for both names
        https("api", "api.gw.example.org", "api-tls"),
        https("all", "*.gw.example.org", "wild-tls"),  # a mistake: reported, not made
        {"name": "http", "protocol": "HTTP", "port": 80},
    ]
    env.apply(gateway(namespace, "edge", listeners, cluster_issuer(LOCAL_ISSUER)))
    applied = get(env, "gateway", namespace, "edge")
    assert applied is not None

    site = certificate_where(env, namespace, "site-tls", "made", lambda c: True)
    assert site["spec"] == {
        "secretName": "site-tls",
        "dnsNames": ["www.gw.example.org", "gw.example.org"],
        "issuerRef": {"name": LOCAL_ISSUER, "kind": "ClusterIssuer"},
    }
    assert site["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway",
            "name": "edge",
            "uid": applied["metadata"]["uid"],
            "controller": True,
        }
    ]
    for name, names in {
        "site-tls": ["www.gw.example.org", "gw.example.org"],
        "api-tls": ["api.gw.example.org"],
    }.items():
        wait_ready(env, namespace, name, process=chart_operator.process)
        assert_valid_tls_secret(env, namespace, name, names)
    assert get(env, "certificate", namespace, "wild-tls") is None
    (warning,) = wait_for(
        lambda: warnings(env, namespace, "Gateway", "edge", "InvalidGateway"), 30, "InvalidGateway Warning"
    )
    assert "listener 'all' has the wildcard hostname '*.gw.example.org'" in warning

    now = get(env, "gateway", namespace, "edge")
    assert now is not None and kopf_marks(now) == []
    # Traefik, the gateway controller, writes the Gateway's status; the operator writes nothing to it.
    assert (now["metadata"].get("annotations"), now["spec"]) == (
        applied["metadata"].get("annotations"),
        applied["spec"],
    )
    writes = [
        event["verb"]
        for event in audit_events(env, chart_operator.release.service_account_user)
        if (event.get("objectRef") or {}).get("resource") == "gateways"
        and event["verb"] not in ("get", "list", "watch")
    ]
    assert writes == [], "the operator wrote to the Gateway"

    env.controlplane.kubectl("delete", "gateway", "edge", "-n", namespace)
    wait_for(
        lambda: get(env, "certificate", namespace, "site-tls") is None, 90, "Certificates deleted with it"
    )


def test_two_gateways_asking_for_one_secret_differently_are_told(
    env: LocalEnvironment, chart_operator: ChartOperator, namespace: str
) -> None:
    """No issuance needed here: the ClusterIssuer does not exist, the Certificate just waits."""
    annotations = cluster_issuer("not-there")
    env.apply(gateway(namespace, "first", [https("a", "a.example.org", "shared-tls")], annotations))
    certificate_where(
        env, namespace, "shared-tls", "made", lambda c: c["spec"]["dnsNames"] == ["a.example.org"]
    )
    env.apply(gateway(namespace, "second", [https("b", "b.example.org", "shared-tls")], annotations))

    def gateway_conflict(cert: dict[str, Any]) -> bool:
        conds = (cert.get("status") or {}).get("conditions") or []
        return any(c["type"] == "GatewayConflict" for c in conds)

    cert = certificate_where(env, namespace, "shared-tls", "conflict reported", gateway_conflict)
    assert cert["spec"]["dnsNames"] == ["a.example.org"], (
        "the Certificate follows the Gateway that asked first"
    )
    for name in ("first", "second"):
        wait_for(
            lambda n=name: warnings(env, namespace, "Gateway", n, "SecretNameConflict"),
            30,
            f"Warning on {name}",
        )
