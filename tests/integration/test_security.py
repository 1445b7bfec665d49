"""Security: no key material in what the operator writes, restricted solver Pods, managed Secrets only."""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from evercert_devenv.environment import LocalEnvironment
from evercert_devenv.pebble import Pebble
from evercert_devenv.processes import Server

from ..support.cluster import get
from ..support.waiting import wait_for
from .helpers import certificate, wait_ready
from .watching import Watch

MANAGED_ONLY = "app.kubernetes.io/managed-by=evercert"
# Clients of the test bed itself (Traefik is its ingress controller), not the operator.
OTHER_CLIENTS = ("kubectl/", "kube-controller-manager/", "kube-apiserver/", "traefik/")


def label_selector(request_uri: str) -> str | None:
    return (parse_qs(urlsplit(request_uri).query).get("labelSelector") or [None])[0]


def kubectl_json(env: LocalEnvironment, *args: str) -> dict[str, Any]:
    return dict(json.loads(env.controlplane.kubectl("get", *args, "-o", "json")))


def eab_issuer(
    env: LocalEnvironment, pebble: Pebble, name: str, namespace: str, key_id: str
) -> dict[str, Any]:
    manifest = env.cluster_issuer(name)
    manifest["kind"] = "Issuer"
    manifest["metadata"] = {"name": name, "namespace": namespace}
    manifest["spec"]["acme"].update(  # type: ignore[index]
        {
            "server": pebble.directory_url,
            "externalAccountBinding": {
                "keyID": key_id,
                "keySecretRef": {"name": f"{name}-eab", "key": "secret"},
            },
        }
    )
    return manifest


def hmac_secret(name: str, namespace: str, hmac: str) -> dict[str, Any]:
    data = {"secret": base64.b64encode(hmac.encode()).decode()}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "data": data,
    }


def issuer_refused(env: LocalEnvironment, namespace: str, name: str) -> bool:
    conditions = ((get(env, "issuer", namespace, name) or {}).get("status") or {}).get("conditions") or []
    return any(c["type"] == "Ready" and c["reason"] == "ACMEAccountFailed" for c in conditions)


def key_needles(all_secrets: list[dict[str, Any]]) -> set[str]:
    """Strings that only a leak of a private key held by a Secret could produce."""
    needles = set()
    for secret in all_secrets:
        for value in (secret.get("data") or {}).values():
            pem = base64.b64decode(value)
            if b"PRIVATE KEY-----" not in pem:
                continue
            needles.add(value[40:104])  # the key as the Secret's data holds it, past the common header
            body = [line for line in pem.decode().splitlines() if line and not line.startswith("-----")]
            needles.update(line for line in body if len(line) >= 40)  # the key's own base64 lines
    return needles


def everything_the_operator_wrote(env: LocalEnvironment) -> str:
    """Every operator log of the session, all Events, all evercert objects, every Secret's metadata."""
    logs = [
        server.log_path.read_text(errors="replace") for server in env.operators if server.log_path.exists()
    ]
    objects = [
        kubectl_json(env, "events", "-A"),
        kubectl_json(env, "certificates,issuers", "-A"),
        kubectl_json(env, "clusterissuers"),
        {"secrets": [s["metadata"] for s in kubectl_json(env, "secrets", "-A")["items"]]},
    ]
    return "\n".join([*logs, *(json.dumps(o) for o in objects)])


def test_no_key_material_in_logs_events_status_or_annotations(
    env: LocalEnvironment, operator: Server, namespace: str, tmp_path: Path
) -> None:
    """Make fresh key material of every kind (certificate keys, account keys, EAB keys, good and wrong),
    then look for it, and for any PEM private key, in everything the operator wrote this session."""
    hmac, wrong_hmac = (base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=") for _ in "12")
    pebble = Pebble(
        tmp_path,
        ca=env.pebble.ca,
        http01_port=env.pebble.http01_port,
        eab_required=True,
        eab_mac_keys={"kid-1": hmac},
    )
    pebble.start()
    try:
        env.apply(hmac_secret("bound-eab", namespace, hmac))
        env.apply(hmac_secret("wrong-eab", namespace, wrong_hmac))
        env.apply(eab_issuer(env, pebble, "bound", namespace, "kid-1"))
        env.apply(eab_issuer(env, pebble, "wrong", namespace, "kid-1"))
        env.apply(certificate(namespace, "bound-web", ["bound.example.org"], issuer="bound", kind="Issuer"))
        env.apply(certificate(namespace, "web", ["web.example.org"]))
        wait_ready(env, namespace, "bound-web", process=operator)
        wait_ready(env, namespace, "web", process=operator)
        wait_for(lambda: issuer_refused(env, namespace, "wrong"), 30, "the wrong EAB key refused", operator)
    finally:
        pebble.stop()
    needles = key_needles(kubectl_json(env, "secrets", "-A")["items"]) | {hmac, wrong_hmac}
    assert len(needles) > 10, "no key material was made to look for"
    written = everything_the_operator_wrote(env)
    assert "PRIVATE KEY" not in written
    leaked = [needle for needle in needles if needle in written]
    assert not leaked, f"key material found in what the operator wrote: {leaked[:3]}"


def test_the_operator_lists_and_watches_only_the_secrets_it_manages(
    env: LocalEnvironment, operator: Server, namespace: str
) -> None:
    env.apply(certificate(namespace, "audited", ["audited.example.org"]))
    wait_ready(env, namespace, "audited", process=operator)
    audit = env.controlplane.workdir / "audit.log"
    requests = [
        event
        for event in map(json.loads, audit.read_text().splitlines())
        if (event.get("objectRef") or {}).get("resource") == "secrets"
        and event["verb"] in ("list", "watch")
        and not event.get("userAgent", "").startswith(OTHER_CLIENTS)
    ]
    assert any(r["verb"] == "watch" for r in requests), (
        "the operator's watch of Secrets is not in the audit log"
    )
    unfiltered = sorted(
        {
            r["requestURI"]
            for r in requests
            if MANAGED_ONLY not in (label_selector(r["requestURI"]) or "").split(",")
        }
    )
    assert not unfiltered, f"Secrets listed or watched without the managed-by selector: {unfiltered}"


def test_solver_pods_pass_restricted_pod_security_and_get_no_token(
    env: LocalEnvironment, operator: Server, namespace: str
) -> None:
    env.controlplane.kubectl("label", "namespace", namespace, "pod-security.kubernetes.io/enforce=restricted")
    with pytest.raises(subprocess.CalledProcessError) as refused:
        env.controlplane.kubectl("run", "rooted", "-n", namespace, "--image=busybox", "--privileged")
    assert "violates PodSecurity" in refused.value.stderr  # enforcement is on in this namespace
    with Watch(env, "pods", namespace) as pods:
        env.apply(certificate(namespace, "strict", ["strict.example.org"]))
        wait_ready(env, namespace, "strict", process=operator)
    solver_pods = [pod for kind, pod in pods.events if kind == "ADDED"]
    assert solver_pods, "no solver Pod was admitted"
    for pod in solver_pods:
        assert pod["spec"]["automountServiceAccountToken"] is False
        assert not pod["spec"].get("volumes"), "a solver Pod mounts a volume"
