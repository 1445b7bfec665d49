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
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from .. import constants
from ..clock import Clock, SystemClock
from ..kube.client import Kube, answer, read_secret
from ..migration import activity
from ..migration.plan import Inventory, Plan, plan
from . import cluster
from .formatting import table

REFUSED = 1
TOO_MANY_REQUESTS = 429
MAX_TRIES = 10
MAX_WAIT = 10.0
T = TypeVar("T")
PARALLEL_WRITES = 16
WRITE_ORDER = (("Secret",), ("Issuer", "ClusterIssuer"), ("Certificate",))
CM = (constants.CERT_MANAGER_GROUP, constants.CERT_MANAGER_VERSION)
OURS = (constants.GROUP, constants.VERSION)
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
    active = activity.activity(
        await _lease(kube),
        await _list(kube.apps.list_deployment_for_all_namespaces, activity.DEPLOYMENT_SELECTOR),
        now,
    )
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
        lambda: read_inventory(kube, namespace, options.cert_manager_namespace, options.evercert_namespace)
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


async def read_inventory(
    kube: Kube, namespace: str | None, cert_manager_namespace: str, evercert_namespace: str
) -> Inventory:
    cluster_issuers = await _custom(kube, CM, constants.CLUSTER_ISSUERS, None)
    secret_names = {_secret_name(ref) for issuer in cluster_issuers for ref in _secret_refs(issuer)}
    secret_names.discard("")
    cm_secrets = {
        name: await read_secret(kube, cert_manager_namespace, name) for name in sorted(secret_names)
    }
    ours = {name: await read_secret(kube, evercert_namespace, name) for name in sorted(secret_names)}
    existing: dict[tuple[str, str | None, str], Mapping[str, Any]] = {}
    for kind, plural, scope in (
        ("ClusterIssuer", constants.CLUSTER_ISSUERS, None),
        ("Issuer", constants.ISSUERS, namespace),
        ("Certificate", constants.CERTIFICATES, namespace),
    ):
        for body in await _custom(kube, OURS, plural, scope, cluster_scoped=kind == "ClusterIssuer"):
            meta = body.get("metadata") or {}
            existing[(kind, meta.get("namespace"), meta["name"])] = body
    tls = await _secrets(kube, namespace)
    return Inventory(
        issuers=await _custom(kube, CM, constants.ISSUERS, namespace),
        cluster_issuers=cluster_issuers,
        certificates=await _custom(kube, CM, constants.CERTIFICATES, namespace),
        secrets={(s["metadata"]["namespace"], s["metadata"]["name"]): s for s in tls},
        existing=existing,
        cert_manager_secrets={k: v for k, v in cm_secrets.items() if v is not None},
        evercert_secrets={k: v for k, v in ours.items() if v is not None},
        shim_sources=await _shim_sources(kube, namespace),
    )


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


def _secret_refs(issuer: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    acme = (issuer.get("spec") or {}).get("acme") or {}
    eab = acme.get("externalAccountBinding") or {}
    return [acme.get("privateKeySecretRef") or {}, eab.get("keySecretRef") or {}]


def _secret_name(ref: Mapping[str, Any]) -> str:
    return str(ref.get("name") or "")


async def _custom(
    kube: Kube, group: tuple[str, str], plural: str, namespace: str | None, *, cluster_scoped: bool = False
) -> list[dict[str, Any]]:
    """Every object of a custom kind; none when its CRD is not installed."""
    try:
        if namespace is None or cluster_scoped or plural == constants.CLUSTER_ISSUERS:
            listed = await kube.custom.list_cluster_custom_object(*group, plural)
        else:
            listed = await kube.custom.list_namespaced_custom_object(*group, namespace, plural)
    except ApiException as exc:
        if exc.status == 404:
            return []
        raise
    return [dict(item) for item in listed.get("items") or []]


async def _secrets(kube: Kube, namespace: str | None) -> list[dict[str, Any]]:
    selector = f"type={constants.TLS_SECRET_TYPE}"
    if namespace is None:
        call = kube.core.list_secret_for_all_namespaces(field_selector=selector, _preload_content=False)
    else:
        call = kube.core.list_namespaced_secret(namespace, field_selector=selector, _preload_content=False)
    return list((await answer(call)).get("items") or [])


async def _shim_sources(kube: Kube, namespace: str | None) -> list[dict[str, Any]]:
    if namespace is None:
        call = kube.networking.list_ingress_for_all_namespaces(_preload_content=False)
    else:
        call = kube.networking.list_namespaced_ingress(namespace, _preload_content=False)
    ingresses = [{"kind": "Ingress", **item} for item in (await answer(call)).get("items") or []]
    gateways = await _custom(
        kube, (constants.GATEWAY_GROUP, constants.GATEWAY_VERSION), constants.GATEWAYS, namespace
    )
    return ingresses + [{"kind": "Gateway", **item} for item in gateways]


async def _lease(kube: Kube) -> dict[str, Any] | None:
    api = client.CoordinationV1Api(kube.api)
    try:
        return dict(
            await answer(
                api.read_namespaced_lease(
                    activity.LEASE_NAME,
                    activity.LEASE_NAMESPACE,
                    _preload_content=False,
                    _request_timeout=kube.timeout,
                )
            )
        )
    except ApiException as exc:
        if exc.status in (403, 404):
            return None
        raise


async def _list(call: Callable[..., Awaitable[Any]], selector: str) -> list[dict[str, Any]]:
    try:
        return list((await answer(call(label_selector=selector, _preload_content=False))).get("items") or [])
    except ApiException as exc:
        if exc.status == 403:
            return []
        raise
