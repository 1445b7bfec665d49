"""Reload on renewal, the writes: one merge patch of the Pod template per workload whose plan says so.

The plan is made from watch caches, which may not show a patch made a moment ago; a restart is written
only after the workload, read afresh, still needs it, and the patch carries that read's resourceVersion.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from kubernetes_asyncio.client.exceptions import ApiException

from ..kube.client import MERGE_PATCH, Kube
from .plan import IssuedCertificate, Reload, Workload, plan, workload

log = logging.getLogger(__name__)

READ_METHODS = {
    "deployments": "read_namespaced_deployment",
    "statefulsets": "read_namespaced_stateful_set",
    "daemonsets": "read_namespaced_daemon_set",
}
PATCH_METHODS = {
    "deployments": "patch_namespaced_deployment",
    "statefulsets": "patch_namespaced_stateful_set",
    "daemonsets": "patch_namespaced_daemon_set",
}
# Gone (404), or changed or replaced since it was read (409, from the resourceVersion in the patch):
# its own watch event brings it back.
LOST = (404, 409)


async def read_workload(kube: Kube, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
    """The workload as a dict, or None when it does not exist."""
    try:
        model = await getattr(kube.apps, READ_METHODS[plural])(name, namespace)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
    return kube.to_dict(model)


async def restart(kube: Kube, reload: Reload) -> bool:
    """Write the serials onto the Pod template, which rolls the workload out by its own strategy.

    False when the workload is gone or changed since it was read."""
    target = reload.workload
    patch = getattr(kube.apps, PATCH_METHODS[target.plural])
    try:
        await patch(target.name, target.namespace, reload.patch(), _content_type=MERGE_PATCH)
    except ApiException as exc:
        if exc.status in LOST:
            return False
        raise
    return True


async def confirmed(
    kube: Kube, cached: Workload, certificates: Mapping[str, IssuedCertificate]
) -> Reload | None:
    """The plan for the workload as the API holds it now (the same object), or None."""
    body = await read_workload(kube, cached.plural, cached.namespace, cached.name)
    current = None if body is None else workload(cached.plural, body)
    if current is None or current.uid != cached.uid:
        return None
    return plan(current, certificates)


async def reload_workloads(
    kube: Kube, workloads: Iterable[Workload], certificates: Mapping[str, IssuedCertificate]
) -> list[Reload]:
    """Restart each workload whose Pods lack a current certificate; the restarts that were written."""
    done: list[Reload] = []
    for cached in workloads:
        if plan(cached, certificates) is None:
            continue
        reload = await confirmed(kube, cached, certificates)
        if reload is None or not await restart(kube, reload):
            continue
        log.info(
            "Restarting a workload for its renewed certificates",
            extra={
                "workload": f"{cached.kind}/{cached.namespace}/{cached.name}",
                "secrets": ",".join(reload.renewed),
                "serials": reload.serials,
            },
        )
        done.append(reload)
    return done
