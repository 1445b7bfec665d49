"""The DNS-01 phase: wildcard + apex Certificates validated through BIND (RFC 2136), one at a time and
a hundred at once; what is left in the zone after them, and UPDATE messages per Certificate."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import TYPE_CHECKING, Any

from kubernetes_asyncio import client

from evercert.core.constants import GROUP, VERSION
from evercert_devenv.dns import ZONE
from evercert_devenv.environment import LOCAL_DNS_ISSUER
from workload import bounded, create_namespace

if TYPE_CHECKING:
    from phases import Bench

NAMESPACE = "bench-dns01"


def wildcard_certificate(namespace: str, name: str) -> dict[str, Any]:
    apex = f"{name}.{ZONE}"
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Certificate",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "secretName": f"{name}-tls",
            "dnsNames": [f"*.{apex}", apex],
            "issuerRef": {"name": LOCAL_DNS_ISSUER, "kind": "ClusterIssuer"},
            "privateKey": {"algorithm": "ECDSA", "size": 256},
        },
    }


async def dns01(bench: Bench) -> None:
    """dns01_ready_seconds_median, dns01_hundred_ready_seconds, dns01_txt_left,
    dns01_updates_per_certificate."""
    bench.phase("dns01")
    env = bench.cluster.env
    bench.cluster.apply_issuer(env.dns_cluster_issuer())
    await create_namespace(bench.api, NAMESPACE)
    custom = client.CustomObjectsApi(bench.api)
    updates_before = env.bind.updates()
    took = []
    for index in range(bench.sizes.dns01_single):
        name = f"d{index:03d}"
        started = time.monotonic()
        await custom.create_namespaced_custom_object(
            GROUP, VERSION, NAMESPACE, "certificates", wildcard_certificate(NAMESPACE, name)
        )
        ready = await bench.tracker.wait_ready([(NAMESPACE, name)], 120)
        took.append(ready - started)
        await asyncio.sleep(0.5)  # the clean-up UPDATE follows Ready
    names = [f"h{index:03d}" for index in range(bench.sizes.dns01_many)]
    started = time.monotonic()
    jobs = (
        custom.create_namespaced_custom_object(
            GROUP, VERSION, NAMESPACE, "certificates", wildcard_certificate(NAMESPACE, n)
        )
        for n in names
    )
    await bounded(jobs, concurrency=16)
    last = await bench.tracker.wait_ready([(NAMESPACE, n) for n in names], 300)
    await bench.settle()
    certificates = len(took) + len(names)
    bench.results.update(
        dns01_ready_seconds_median=round(statistics.median(took), 2),
        dns01_hundred_ready_seconds=round(last - started, 2),
        dns01_txt_left=len(env.bind.txt_records()),
        dns01_updates_per_certificate=round((env.bind.updates() - updates_before) / certificates, 2),
    )
    bench.say_results("dns01_")
