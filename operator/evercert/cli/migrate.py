"""`migrate [-n NS | -A] [--dry-run] [-o yaml] [--force]`: cert-manager's ACME issuers and Certificates
become evercert's, beside them; the tls Secrets are kept (the operator adopts them); nothing of
cert-manager's is written. Running it again changes nothing."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import yaml
from kubernetes_asyncio.client.exceptions import ApiException

from ..core import constants
from ..core.clock import Clock, SystemClock
from ..kube.client import Kube, answer
from ..migration import activity, reading
from ..migration.plan import Plan, plan
from . import cluster
from .formatting import table

REFUSED = 1
TOO_MANY_REQUESTS = 429
MAX_TRIES = 10
MAX_WAIT = 10.0
T = TypeVar("T")
PARALLEL_WRITES = 16
WRITE_ORDER = (("Secret",), ("Issuer", "ClusterIssuer"), ("Certificate",))
OURS = reading.OURS
RISK = (
    "both controllers may renew the same Certificates: two orders per renewal, and Secrets each "
    "overwrites with its own key"
)


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "migrate", help="move cert-manager's ACME Issuers and Certificates to evercert, keeping certificates"
    )
    parser.add_argument("--dry-run", action="store_true", help="write nothing; show what would be done")
    parser.add_argument("-o", "--output", choices=("yaml",), help="yaml: print the evercert objects instead")
    parser.add_argument("--force", action="store_true", help="go on while cert-manager's controller runs")
    parser.add_argument(
        "--cert-manager-namespace",
        default="cert-manager",
        metavar="NS",
        help="cert-manager's cluster-resource namespace, with its ClusterIssuers' Secrets (cert-manager)",
    )
    parser.add_argument(
        "--evercert-namespace",
        default="evercert",
        metavar="NS",
        help="evercert's cluster-resource namespace (EVERCERT_CLUSTER_RESOURCE_NAMESPACE; default evercert)",
    )
    cluster.add_connection_flags(parser)
    parser.set_defaults(handler=lambda options: cluster.run(migrate, options))


async def migrate(kube: Kube, options: argparse.Namespace, clock: Clock | None = None) -> int:
    now = (clock or SystemClock()).now()
    active = activity.activity(*await reading.controller_signs(kube), now)
    if active and not options.force and not options.dry_run:
        print(
            f"error: cert-manager's controller is active ({'; '.join(active)}). Stop it first, e.g. "
            "kubectl -n cert-manager scale deployment cert-manager --replicas=0, or pass --force "
            f"(then {RISK}).",
            file=sys.stderr,
        )
        return REFUSED
    if active:
        print(f"warning: cert-manager's controller is active ({'; '.join(active)}): {RISK}", file=sys.stderr)
    namespace = None if options.all_namespaces else options.namespace
    inventory = await patiently(
        lambda: reading.read_inventory(
            kube, namespace, options.cert_manager_namespace, options.evercert_namespace
        )
    )
    result = plan(inventory, now, options.cert_manager_namespace, options.evercert_namespace)
    if not options.dry_run:
        await write(kube, result)
    if options.output == "yaml":
        print(yaml.safe_dump_all([dict(body) for body in result.objects], sort_keys=False), end="")
    else:
        print(report(result, dry_run=options.dry_run))
    return 0


async def patiently(step: Callable[[], Awaitable[T]]) -> T:
    """As kubectl does: a 429 (an apiserver busy, or its cache of a kind being rebuilt) is asked again
    after its Retry-After (at most MAX_WAIT), a few times."""
    for attempt in range(1, MAX_TRIES + 1):
        try:
            return await step()
        except ApiException as exc:
            if exc.status != TOO_MANY_REQUESTS or attempt == MAX_TRIES:
                raise
            await asyncio.sleep(_retry_after(exc))
    raise AssertionError("unreachable")


def _retry_after(exc: ApiException) -> float:
    try:
        seconds = float((exc.headers or {}).get("Retry-After") or 1)
    except ValueError:
        seconds = 1
    return min(max(seconds, 0.1), MAX_WAIT)


def report(result: Plan, *, dry_run: bool) -> str:
    if not result.rows:
        return "No cert-manager Issuers, ClusterIssuers or Certificates found."
    rows = [(row.kind, row.where, row.result, row.detail) for row in result.rows]
    text = table(("KIND", "NAME", "RESULT", "DETAIL"), rows)
    counts: dict[str, int] = {}
    for row in result.rows:
        counts[row.result] = counts.get(row.result, 0) + 1
    summary = ", ".join(f"{count} {result}" for result, count in counts.items())
    written = "dry run: nothing written" if dry_run else f"{len(result.creates)} object(s) created"
    return f"{text}\n\n{summary} ({written})"


async def write(kube: Kube, result: Plan) -> None:
    """Create each object (a few at a time); one that appeared meanwhile is left as it is.

    Account key copies come first: an issuer seen before its key would register a new account."""
    for stage in WRITE_ORDER:
        await _write_all(kube, [body for body in result.creates if body["kind"] in stage])


async def _write_all(kube: Kube, bodies: list[Mapping[str, Any]]) -> None:
    gate = asyncio.Semaphore(PARALLEL_WRITES)

    async def create(body: Mapping[str, Any]) -> None:
        async with gate:
            try:
                await patiently(lambda: _create(kube, body))
            except ApiException as exc:
                if exc.status != 409:
                    raise

    await asyncio.gather(*(create(body) for body in bodies))


async def _create(kube: Kube, body: Mapping[str, Any]) -> None:
    metadata, kind = body["metadata"], body["kind"]
    if kind == "Secret":
        await answer(kube.core.create_namespaced_secret(metadata["namespace"], body, _preload_content=False))
    elif kind == "ClusterIssuer":
        await kube.custom.create_cluster_custom_object(*OURS, constants.CLUSTER_ISSUERS, body)
    else:
        plural = constants.ISSUERS if kind == "Issuer" else constants.CERTIFICATES
        await kube.custom.create_namespaced_custom_object(*OURS, metadata["namespace"], plural, body)
