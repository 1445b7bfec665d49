"""The few API writes by which the solver host stands in for a kubelet (and for the scheduler's binding)."""

from __future__ import annotations

import datetime
from typing import Any

from kubernetes_asyncio import client

NODE_NAME = "evercert-solverhost"
READY_CONDITIONS = ("PodScheduled", "Initialized", "ContainersReady", "Ready")


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def register_node(api: client.ApiClient, address: str) -> None:
    """The Node that solver Pods are bound to: the EndpointSlice controller skips Pods on no Node."""
    node = {
        "metadata": {
            "name": NODE_NAME,
            "labels": {"kubernetes.io/hostname": NODE_NAME, "kubernetes.io/os": "linux"},
        },
    }
    core = client.CoreV1Api(api)
    try:
        await core.create_node(node)
    except client.ApiException as exc:
        if exc.status != 409:
            raise
    status = {"status": {"addresses": [{"type": "InternalIP", "address": address}]}}
    await core.patch_node_status(NODE_NAME, status)


async def bind(api: client.ApiClient, pod: Any) -> None:
    """Bind the Pod to this host's Node, as the scheduler would (its Binding subresource)."""
    if pod.spec.node_name:
        return
    binding = {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": pod.metadata.name},
        "target": {"apiVersion": "v1", "kind": "Node", "name": NODE_NAME},
    }
    # The API answers with a Status, which the generated client cannot read as a Binding.
    response = await client.CoreV1Api(api).create_namespaced_pod_binding(
        pod.metadata.name, pod.metadata.namespace, binding, _preload_content=False
    )
    response.release()


async def report_running(api: client.ApiClient, pod: Any, pod_ip: str, host_ip: str, restarts: int) -> None:
    """Status Running and Ready with the Pod's address: what makes it an endpoint of its Service."""
    started = now()
    container = pod.spec.containers[0]
    status = {
        "phase": "Running",
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "podIP": pod_ip,
        "podIPs": [{"ip": pod_ip}],
        "startTime": started,
        "conditions": [
            {"type": kind, "status": "True", "lastTransitionTime": started} for kind in READY_CONDITIONS
        ],
        "containerStatuses": [
            {
                "name": container.name,
                "image": container.image,
                "imageID": "",
                "ready": True,
                "started": True,
                "restartCount": restarts,
                "state": {"running": {"startedAt": started}},
            }
        ],
    }
    await client.CoreV1Api(api).patch_namespaced_pod_status(
        pod.metadata.name, pod.metadata.namespace, {"status": status}
    )


async def confirm_deletion(api: client.ApiClient, pod: Any) -> None:
    """Delete a Pod whose processes have stopped at once, as a kubelet ends a graceful deletion."""
    options = {"gracePeriodSeconds": 0, "preconditions": {"uid": pod.metadata.uid}}
    try:
        await client.CoreV1Api(api).delete_namespaced_pod(
            pod.metadata.name, pod.metadata.namespace, body=options, grace_period_seconds=0
        )
    except client.ApiException as exc:
        if exc.status not in (404, 409):
            raise
