"""Moving from cert-manager: 1,000 cert-manager Certificates with Ready Secrets (written directly, as its
controller writes them, around certificates from a local CA), then `kubectl evercert migrate` until every
evercert Certificate is Ready. Orders, new accounts and rewritten tls.crt should all be 0."""

from __future__ import annotations

import base64
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import serialization
from kubernetes_asyncio import client

from evercert_devenv.binaries import cert_manager_crds
from evercert_devenv.environment import CLUSTER_RESOURCE_NAMESPACE, python_path_env
from seeding import Seeder
from workload import ISSUER, bounded, create_namespace

if TYPE_CHECKING:
    from phases import Bench

NAMESPACE = "bench-migrate"
CERT_MANAGER_NAMESPACE = "cert-manager"
CM = ("cert-manager.io", "v1")
CM_ISSUER = "cm-local-pebble"
CONCURRENCY = 48
TIMEOUT = 300


async def migrate_1k(bench: Bench) -> None:
    bench.phase("migrate")
    env, api = bench.cluster.env, bench.api
    env.controlplane.kubectl("apply", "--server-side", "-f", str(cert_manager_crds()))
    env.controlplane.kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
    for namespace in (CERT_MANAGER_NAMESPACE, NAMESPACE):
        await create_namespace(api, namespace)
    account_uri = await _cluster_issuer_of_cert_manager(bench)
    count = bench.sizes.migrate
    names = [f"m{i:04d}" for i in range(count)]
    seeder = Seeder(api)
    chains = await _seed(seeder, names)
    _, orders_before = bench.pebble.counts()
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "evercert", "migrate", "-n", NAMESPACE],
        env={**python_path_env(), "KUBECONFIG": str(env.kubeconfig)},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    if done.returncode != 0:
        raise RuntimeError(f"migrate failed: {done.stderr}")
    migrated = time.monotonic() - started
    last = await bench.tracker.wait_ready([(NAMESPACE, n) for n in names], TIMEOUT)
    _, orders_after = bench.pebble.counts()
    bench.results.update(
        migrate_certificates=count,
        migrate_command_seconds=round(migrated, 1),
        migrate_seconds_1k=round(last - started, 1),
        migrate_new_orders=orders_after - orders_before,
        migrate_new_accounts=int(await _account_uri(api) != account_uri),
        migrate_secrets_rewritten=await _rewritten(api, chains),
    )
    bench.say_results("migrate_")


async def _cluster_issuer_of_cert_manager(bench: Bench) -> str:
    """cert-manager's ClusterIssuer for the local Pebble, with the ACME account the bench's issuer has
    (its key, as cert-manager keeps it); returns that account's URI."""
    core, custom = client.CoreV1Api(bench.api), client.CustomObjectsApi(bench.api)
    key = await core.read_namespaced_secret(f"{ISSUER}-account-key", CLUSTER_RESOURCE_NAMESPACE)
    secret = {
        "metadata": {"name": f"{CM_ISSUER}-account"},
        "type": "Opaque",
        "data": {"tls.key": key.data["tls.key"]},
    }
    await core.create_namespaced_secret(CERT_MANAGER_NAMESPACE, secret)
    manifest = bench.cluster.env.cluster_issuer(CM_ISSUER)
    manifest["apiVersion"] = "/".join(CM)
    manifest["spec"]["acme"]["privateKeySecretRef"] = {"name": f"{CM_ISSUER}-account"}  # type: ignore[index]
    await custom.create_cluster_custom_object(*CM, "clusterissuers", manifest)
    ours = await custom.get_cluster_custom_object("evercert.dev", "v1", "clusterissuers", ISSUER)
    return str(ours["status"]["acme"]["uri"])


async def _account_uri(api: client.ApiClient) -> str | None:
    custom = client.CustomObjectsApi(api)
    migrated = await custom.get_cluster_custom_object("evercert.dev", "v1", "clusterissuers", CM_ISSUER)
    return ((migrated.get("status") or {}).get("acme") or {}).get("uri")


async def _seed(seeder: Seeder, names: list[str]) -> dict[str, str]:
    """Each cert-manager Certificate and the Secret its controller wrote; returns each Secret's tls.crt."""
    custom, core = client.CustomObjectsApi(seeder.api), client.CoreV1Api(seeder.api)
    key_pem = seeder.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    chains: dict[str, str] = {}

    async def one(name: str) -> None:
        dns = f"{name}.{NAMESPACE}.example.org"
        spec = {
            "secretName": f"{name}-tls",
            "dnsNames": [dns],
            "issuerRef": {"name": CM_ISSUER, "kind": "ClusterIssuer"},
        }
        body = {"apiVersion": "/".join(CM), "kind": "Certificate", "metadata": {"name": name}, "spec": spec}
        await custom.create_namespaced_custom_object(*CM, NAMESPACE, "certificates", body)
        chain = seeder.ca.sign(seeder.key.public_key(), dns, hosts=(dns,)) + seeder.ca.cert_pem
        chains[f"{name}-tls"] = base64.b64encode(chain).decode()
        await core.create_namespaced_secret(NAMESPACE, _secret(name, dns, chains[f"{name}-tls"], key_pem))

    await bounded((one(n) for n in names), CONCURRENCY)
    return chains


def _secret(name: str, dns: str, chain_b64: str, key_pem: bytes) -> dict[str, Any]:
    annotations = {
        "cert-manager.io/certificate-name": name,
        "cert-manager.io/issuer-name": CM_ISSUER,
        "cert-manager.io/issuer-kind": "ClusterIssuer",
        "cert-manager.io/issuer-group": "cert-manager.io",
        "cert-manager.io/common-name": dns,
        "cert-manager.io/alt-names": dns,
        "cert-manager.io/ip-sans": "",
        "cert-manager.io/uri-sans": "",
    }
    return {
        "metadata": {
            "name": f"{name}-tls",
            "annotations": annotations,
            "labels": {"controller.cert-manager.io/fao": "true"},
        },
        "type": "kubernetes.io/tls",
        "data": {"tls.crt": chain_b64, "tls.key": base64.b64encode(key_pem).decode()},
    }


async def _rewritten(api: client.ApiClient, chains: dict[str, str]) -> int:
    listed = await client.CoreV1Api(api).list_namespaced_secret(NAMESPACE)
    now = {s.metadata.name: (s.data or {}).get("tls.crt") for s in listed.items}
    return sum(1 for name, chain in chains.items() if now.get(name) != chain)
