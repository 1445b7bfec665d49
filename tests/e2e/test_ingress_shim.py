"""Ingress annotations against the real apiserver, with the operator under the chart's RBAC."""

from __future__ import annotations

import json
from typing import Any

from evercert_devenv.environment import LOCAL_ISSUER, LocalEnvironment

from ..integration.helpers import assert_valid_tls_secret, wait_ready
from ..support.chart import ChartOperator
from ..support.cluster import get
from ..support.waiting import holds, wait_for

# What kopf writes onto objects it handles with change handlers; users' objects must never carry it.
KOPF_MARKS = ("kopf.zalando.org/", "evercert.dev/last-handled-configuration")


def ingress(
    namespace: str, name: str, tls: dict[str, list[str]], annotations: dict[str, str] | None = None
) -> dict[str, Any]:
    hosts = [host for names in tls.values() for host in names]
    backend = {"service": {"name": name, "port": {"number": 80}}}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": namespace, "annotations": annotations or {}},
        "spec": {
            "ingressClassName": "local",
            "tls": [{"hosts": names, "secretName": secret} for secret, names in tls.items()],
            "rules": [
                {"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}
                for host in hosts
            ],
        },
    }


def cluster_issuer(name: str) -> dict[str, str]:
    return {"evercert.dev/cluster-issuer": name}


def kopf_marks(obj: dict[str, Any] | None) -> list[str]:
    assert obj is not None
    metadata = obj["metadata"]
    marked = [key for key in metadata.get("annotations") or {} if key.startswith(KOPF_MARKS)]
    return marked + list(metadata.get("finalizers") or [])


def warnings(env: LocalEnvironment, namespace: str, kind: str, name: str, reason: str) -> list[str]:
    listed = json.loads(env.controlplane.kubectl("get", "events", "-n", namespace, "-o", "json"))["items"]
    return [
        event["message"]
        for event in listed
        if event["involvedObject"].get("kind") == kind
        and event["involvedObject"].get("name") == name
        and event["type"] == "Warning"
        and event["reason"] == reason
    ]


def certificate_where(env: LocalEnvironment, namespace: str, name: str, what: str, check: Any) -> Any:
    """Wait until Certificate `name` exists and `check(certificate)` holds; return it."""

    def found() -> Any:
        cert = get(env, "certificate", namespace, name)
        return cert if cert is not None and check(cert) else None

    return wait_for(found, 30, f"Certificate {namespace}/{name}: {what}")


def conflict(cert: dict[str, Any]) -> dict[str, Any] | None:
    conds = (cert.get("status") or {}).get("conditions") or []
    return next((c for c in conds if c["type"] == "IngressConflict"), None)


def owner(cert: dict[str, Any]) -> tuple[str, str]:
    (ref,) = cert["metadata"]["ownerReferences"]
    return ref["kind"], ref["name"]


def test_an_annotated_ingress_gets_a_valid_secret_and_its_certificate_goes_with_it(
    env: LocalEnvironment, chart_operator: ChartOperator, namespace: str
) -> None:
    names = ["shop.example.org", "www.shop.example.org"]
    env.apply(ingress(namespace, "shop", {"shop-tls": names}, cluster_issuer(LOCAL_ISSUER)))
    cert = certificate_where(env, namespace, "shop-tls", "made", lambda c: True)
    assert cert["spec"] == {
        "secretName": "shop-tls",
        "dnsNames": names,
        "issuerRef": {"name": LOCAL_ISSUER, "kind": "ClusterIssuer"},
    }
    user_ingress = get(env, "ingress", namespace, "shop")
    assert user_ingress is not None
    (reference,) = cert["metadata"]["ownerReferences"]
    assert reference == {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "name": "shop",
        "uid": user_ingress["metadata"]["uid"],
        "controller": True,
    }
    wait_ready(env, namespace, "shop-tls", process=chart_operator.process)
    assert_valid_tls_secret(env, namespace, "shop-tls", names)
    assert kopf_marks(get(env, "ingress", namespace, "shop")) == []
    assert kopf_marks(get(env, "secret", namespace, "shop-tls")) == []
    env.controlplane.kubectl("delete", "ingress", "shop", "-n", namespace)
    wait_for(lambda: get(env, "certificate", namespace, "shop-tls") is None, 90, "Certificate deleted")


def test_the_certificates_follow_the_ingress(
    env: LocalEnvironment, chart_operator: ChartOperator, namespace: str
) -> None:
    """No issuance needed here: the ClusterIssuer does not exist, the Certificates just wait."""
    annotations = cluster_issuer("not-there")
    env.apply(ingress(namespace, "web", {"web-tls": ["a.example.org"]}, annotations))
    certificate_where(env, namespace, "web-tls", "made", lambda c: c["spec"]["dnsNames"] == ["a.example.org"])

    more = {
        **annotations,
        "evercert.dev/duration": "720h",
        "evercert.dev/private-key-algorithm": "ECDSA",
        "evercert.dev/http01-ingress-class": "public",
    }
    env.apply(ingress(namespace, "web", {"web-tls": ["a.example.org", "b.example.org"]}, more))
    cert = certificate_where(env, namespace, "web-tls", "updated", lambda c: len(c["spec"]["dnsNames"]) == 2)
    assert cert["spec"]["duration"] == "720h" and cert["spec"]["privateKey"] == {"algorithm": "ECDSA"}
    assert cert["metadata"]["annotations"]["evercert.dev/http01-ingress-class"] == "public"

    two = {"web-tls": ["a.example.org", "b.example.org"], "api-tls": ["api.example.org"]}
    env.apply(ingress(namespace, "web", two, annotations))
    certificate_where(
        env, namespace, "api-tls", "made", lambda c: c["spec"]["dnsNames"] == ["api.example.org"]
    )
    cert = certificate_where(
        env, namespace, "web-tls", "back to defaults", lambda c: "duration" not in c["spec"]
    )
    assert "evercert.dev/http01-ingress-class" not in (cert["metadata"].get("annotations") or {})

    env.apply(ingress(namespace, "web", {"api-tls": ["api.example.org"]}, annotations))
    wait_for(
        lambda: get(env, "certificate", namespace, "web-tls") is None,
        30,
        "dropped tls entry's Certificate gone",
    )
    env.controlplane.kubectl("annotate", "ingress", "web", "-n", namespace, "evercert.dev/cluster-issuer-")
    wait_for(
        lambda: get(env, "certificate", namespace, "api-tls") is None,
        30,
        "un-annotated Ingress's Certificate gone",
    )
    assert kopf_marks(get(env, "ingress", namespace, "web")) == []


def test_two_ingresses_wanting_one_secret_for_different_hosts_are_told_and_do_not_fight(
    env: LocalEnvironment, chart_operator: ChartOperator, namespace: str
) -> None:
    annotations = cluster_issuer("not-there")
    env.apply(ingress(namespace, "first", {"shared-tls": ["first.example.org"]}, annotations))
    certificate_where(env, namespace, "shared-tls", "made", lambda c: owner(c) == ("Ingress", "first"))
    env.apply(ingress(namespace, "second", {"shared-tls": ["second.example.org"]}, annotations))

    cert = certificate_where(env, namespace, "shared-tls", "conflict reported", conflict)
    assert conflict(cert)["reason"] == "SecretNameConflict"  # type: ignore[index]
    for name in ("first", "second"):
        wait_for(
            lambda name=name: warnings(env, namespace, "Ingress", name, "SecretNameConflict"),
            30,
            f"a Warning on Ingress {name}",
        )

    # Long enough for a tug of war to show.
    def generation() -> int:
        return (get(env, "certificate", namespace, "shared-tls") or {})["metadata"]["generation"]

    holds(lambda: generation() == 1, 3, "no tug of war")
    cert = get(env, "certificate", namespace, "shared-tls")
    assert cert is not None
    assert cert["spec"]["dnsNames"] == ["first.example.org"] and owner(cert) == ("Ingress", "first")
    assert len(warnings(env, namespace, "Ingress", "second", "SecretNameConflict")) == 1

    env.controlplane.kubectl("delete", "ingress", "first", "-n", namespace)
    cert = certificate_where(
        env, namespace, "shared-tls", "taken over", lambda c: c["spec"]["dnsNames"] == ["second.example.org"]
    )
    assert owner(cert) == ("Ingress", "second")
    certificate_where(env, namespace, "shared-tls", "conflict cleared", lambda c: conflict(c) is None)


def test_a_bad_annotation_is_reported_on_the_ingress_and_asks_for_nothing(
    env: LocalEnvironment, chart_operator: ChartOperator, namespace: str
) -> None:
    annotations = {**cluster_issuer("not-there"), "evercert.dev/duration": "90 days"}
    env.apply(ingress(namespace, "odd", {"odd-tls": ["odd.example.org"]}, annotations))
    (message,) = wait_for(
        lambda: warnings(env, namespace, "Ingress", "odd", "InvalidIngress"), 30, "a Warning on the Ingress"
    )
    assert message.startswith("evercert.dev/duration: '90 days' is not a duration")
    assert get(env, "certificate", namespace, "odd-tls") is None
