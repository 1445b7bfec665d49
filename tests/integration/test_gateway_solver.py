"""HTTP-01 through the Gateway API: an Issuer whose solver is a gatewayHTTPRoute, against the real servers.

Traefik's Gateway API provider serves the HTTPRoutes attached to the Gateway (the solver host's own
routing where the test bed runs without Traefik)."""

from __future__ import annotations

import base64
from typing import Any

from evercert_devenv.environment import LocalEnvironment
from evercert_devenv.processes import Server

from ..support.cluster import condition
from ..support.waiting import wait_for
from .helpers import assert_valid_tls_secret, certificate, solver_objects, wait_ready
from .watching import Watch


def gateway(env: LocalEnvironment, namespace: str, name: str) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "gatewayClassName": "local",
            # The port Pebble validates against: Traefik serves the listener on its entry point there.
            "listeners": [{"name": "http", "protocol": "HTTP", "port": env.http01_gateway_port}],
        },
    }


def gateway_issuer(env: LocalEnvironment, namespace: str, name: str, route: dict[str, Any]) -> dict[str, Any]:
    acme = {
        "server": env.pebble.directory_url,
        "privateKeySecretRef": {"name": f"{name}-account-key"},
        "profile": "default",
        "caBundle": base64.b64encode(env.pebble.ca.cert_pem).decode(),
        "solvers": [{"http01": {"gatewayHTTPRoute": route}}],
    }
    return {
        "apiVersion": "evercert.dev/v1",
        "kind": "Issuer",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"acme": acme},
    }


def test_issues_through_a_temporary_httproute_on_the_named_gateway(
    env: LocalEnvironment, operator: Server, namespace: str
) -> None:
    env.apply(gateway(env, namespace, "edge"))
    route = {"parentRefs": [{"name": "edge", "sectionName": "http"}], "labels": {"team": "edge"}}
    env.apply(gateway_issuer(env, namespace, "through-gateway", route))
    wait_for(
        lambda: condition(env, "issuer", namespace, "through-gateway", "Ready") == "True",
        60,
        "Issuer Ready",
        operator,
    )
    names = ["gw.example.org", "www.gw.example.org"]
    with Watch(env, "httproutes", namespace) as routes, Watch(env, "ingresses", namespace) as ingresses:
        env.apply(certificate(namespace, "gw", names, issuer="through-gateway", kind="Issuer"))
        wait_ready(env, namespace, "gw", process=operator)
        wait_for(lambda: not solver_objects(env, namespace), 30, "solver objects removed", operator)
        wait_for(lambda: len(deleted(routes)) == 2, 10, "both HTTPRoutes seen deleted")
    assert_valid_tls_secret(env, namespace, "gw-tls", names)
    created = {r["metadata"]["name"]: r for kind, r in routes.events if kind == "ADDED"}
    assert set(created) == set(deleted(routes))
    assert sorted(h for r in created.values() for h in r["spec"]["hostnames"]) == sorted(names)
    for made in created.values():
        assert made["spec"]["parentRefs"] == [
            {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "edge", "sectionName": "http"}
        ]
        assert made["metadata"]["labels"]["team"] == "edge"
        assert made["metadata"]["labels"]["evercert.dev/http01-solver"] == "true"
        (owner,) = made["metadata"]["ownerReferences"]
        assert (owner["kind"], owner["name"], owner["controller"]) == ("Certificate", "gw", True)
        (rule,) = made["spec"]["rules"]
        assert rule["matches"][0]["path"]["value"].startswith("/.well-known/acme-challenge/")
    assert ingresses.events == [], "a gatewayHTTPRoute solver makes no Ingress"


def deleted(watch: Watch) -> list[str]:
    return [obj["metadata"]["name"] for kind, obj in watch.events if kind == "DELETED"]
