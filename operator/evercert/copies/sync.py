"""Carry out a copy plan: read the source Secret once, write each copy that is missing or behind (one
request each), delete those that must go. A Secret of that name in a target namespace that is not a
copy of this Certificate is never written over: it is reported as a conflict (as is a namespace
where evercert may not write Secrets)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from kubernetes_asyncio.client.exceptions import ApiException

from ..api.certificate import CertificateSpec
from ..certificates.tls_secret import SecretContents
from ..core import constants
from ..kube.client import Kube, create_or_replace_secret, delete_secret, read_secret
from .bodies import copy_body
from .plan import CopyPlan, plan_copies

ServedLookup = Callable[[str, str], SecretContents | None]


@dataclass(frozen=True)
class CopyOutcome:
    plan: CopyPlan
    # namespaces holding a Secret of that name that is not a copy, or where evercert may not write
    conflicts: tuple[str, ...] = ()


def existing_copies(
    spec: CertificateSpec, namespaces: Iterable[str], served: ServedLookup
) -> dict[str, SecretContents]:
    """This Certificate's copies, as the watch of evercert's Secrets knows them (no request)."""
    return copies_of(spec.namespace, spec.name, spec.secret_name, namespaces, served)


def copies_of(
    namespace: str, name: str, secret_name: str, namespaces: Iterable[str], served: ServedLookup
) -> dict[str, SecretContents]:
    mark, found = f"{namespace}/{name}", {}
    for target in namespaces:
        copy = served(target, secret_name) if target != namespace else None
        if copy is not None and copy.annotations.get(constants.ANNOTATION_COPY_OF) == mark:
            found[target] = copy
    return found


async def sync_copies(
    kube: Kube,
    spec: CertificateSpec,
    source: SecretContents,
    namespaces: Mapping[str, Mapping[str, str]],
    served: ServedLookup,
) -> CopyOutcome:
    existing = existing_copies(spec, namespaces, served)
    plan = plan_copies(spec, source, namespaces, existing)
    conflicts: list[str] = []
    if plan.write:
        body = await read_secret(kube, spec.namespace, spec.secret_name)
        for namespace in plan.write if body is not None else ():
            known = existing.get(namespace)
            copy = copy_body(spec, body or {}, namespace, known.resource_version if known else None)
            try:
                await create_or_replace_secret(kube, namespace, copy)
            except ApiException as exc:
                if (exc.status == 409 and known is None) or exc.status == 403:
                    conflicts.append(namespace)
                elif exc.status != 404:  # 404: the namespace is being deleted
                    raise
    for namespace in plan.delete:
        await delete_secret(kube, namespace, spec.secret_name)
    return CopyOutcome(plan, tuple(conflicts))


async def delete_all_copies(
    kube: Kube, namespace: str, name: str, secret_name: str, namespaces: Iterable[str], served: ServedLookup
) -> None:
    """Every copy of the Certificate `namespace/name` (it is gone), found by the watch of evercert's
    Secrets: no cluster-wide request, which a release serving some namespaces may not make."""
    for target in copies_of(namespace, name, secret_name, namespaces, served):
        await delete_secret(kube, target, secret_name)
