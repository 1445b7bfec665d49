"""The start-up listings (kube/listing.py) against the real kube-apiserver: metadata only, page by page,
evercert's tls Secrets and every Certificate, in one namespace or cluster-wide."""

from __future__ import annotations

import uuid

import pytest

from evercert.kube import listing
from evercert.kube.client import Kube
from evercert_devenv.environment import LocalEnvironment

pytestmark = pytest.mark.integration

MANAGED = {"app.kubernetes.io/managed-by": "evercert"}
TLS = {"tls.crt": "", "tls.key": ""}


async def secret(kube: Kube, namespace: str, name: str, kind: str, labels: dict[str, str]) -> None:
    body = {
        "metadata": {"name": name, "labels": labels},
        "type": kind,
        "stringData": TLS if "tls" in kind else {},
    }
    await kube.core.create_namespaced_secret(namespace, body)


async def certificate(kube: Kube, namespace: str, name: str) -> None:
    body = {
        "apiVersion": "evercert.dev/v1",
        "kind": "Certificate",
        "metadata": {"name": name},
        "spec": {"secretName": f"{name}-tls", "dnsNames": ["a.example"], "issuerRef": {"name": "x"}},
    }
    await kube.custom.create_namespaced_custom_object("evercert.dev", "v1", namespace, "certificates", body)


async def test_lists_managed_tls_secrets_and_certificates_over_several_pages(
    kube: Kube, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listing, "CHUNK", 2)  # five objects: three pages
    for i in range(5):
        await secret(kube, namespace, f"ours-{i}", "kubernetes.io/tls", MANAGED)
    await secret(kube, namespace, "next-key", "Opaque", MANAGED)
    await secret(kube, namespace, "users", "kubernetes.io/tls", {})
    for i in range(3):
        await certificate(kube, namespace, f"c{i}")

    ours = {(namespace, f"ours-{i}") for i in range(5)}
    assert await listing.managed_tls_secrets(kube, [namespace]) == ours
    everywhere = await listing.managed_tls_secrets(kube)
    assert (
        ours <= everywhere
        and (namespace, "users") not in everywhere
        and (namespace, "next-key") not in everywhere
    )
    certificates = {(namespace, f"c{i}") for i in range(3)}
    assert await listing.certificates(kube, [namespace]) == certificates
    assert certificates <= await listing.certificates(kube)
    assert await listing.certificates(kube, ["no-such-namespace"]) == set()


async def test_namespace_patterns_list_cluster_wide_and_keep_what_kopf_would_watch(
    kube: Kube, env: LocalEnvironment
) -> None:
    """`EVERCERT_NAMESPACES=team-*`: a LIST of `team-*` as a namespace would find nothing."""
    run = uuid.uuid4().hex[:6]
    matching, other = [f"glob-{run}-a", f"glob-{run}-b"], f"plain-{run}"
    try:
        for ns in [*matching, other]:
            env.controlplane.kubectl("create", "namespace", ns)
            await certificate(kube, ns, "web")
            await secret(kube, ns, "web-tls", "kubernetes.io/tls", MANAGED)
        patterns = [f"glob-{run}-*"]
        assert await listing.certificates(kube, patterns) == {(ns, "web") for ns in matching}
        assert await listing.managed_tls_secrets(kube, patterns) == {(ns, "web-tls") for ns in matching}
        excluding = [f"glob-{run}-*, !glob-{run}-b"]  # one pattern of kopf's: globs, then exclusions
        assert await listing.certificates(kube, excluding) == {(matching[0], "web")}
    finally:
        for ns in [*matching, other]:
            env.controlplane.kubectl("delete", "namespace", ns, "--wait=false", "--ignore-not-found")
