"""The few API writes by which the solver host stands in for a kubelet (and for the scheduler's binding)."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any

from kubernetes_asyncio import client

NODE_NAME = "evercert-solverhost"
READY_CONDITIONS = ("PodScheduled", "Initialized", "ContainersReady", "Ready")


@dataclass(frozen=True)
class Pod:
    """What this host reads of a solver Pod, straight from the API's JSON (no client models: building
    one per event was a quarter of this process's CPU in a burst of issuances)."""

    namespace: str
    name: str
    uid: str
    labels: dict[str, str]
    ending: bool  # a deletionTimestamp is set
    node_name: str
    container: str
    image: str
    command: list[str]
    args: list[str]
    port: int

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Pod:
        meta, spec = raw.get("metadata") or {}, raw.get("spec") or {}
        container = (spec.get("containers") or [{}])[0]
        ports = container.get("ports") or [{}]
        return cls(
            namespace=meta.get("namespace", ""),
            name=meta.get("name", ""),
            uid=meta.get("uid", ""),
            labels=dict(meta.get("labels") or {}),
            ending=bool(meta.get("deletionTimestamp")),
            node_name=spec.get("nodeName") or "",
            container=container.get("name", ""),
            image=container.get("image", ""),
            command=list(container.get("command") or []),
            args=list(container.get("args") or []),
            port=int(ports[0].get("containerPort") or 0),
        )


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


async def bind(api: client.ApiClient, pod: Pod) -> None:
    """Bind the Pod to this host's Node, as the scheduler would (its Binding subresource)."""
    if pod.node_name:
        return
    binding = {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": pod.name},
        "target": {"apiVersion": "v1", "kind": "Node", "name": NODE_NAME},
    }
    # The API answers with a Status, which the generated client cannot read as a Binding.
    await _sent(
        client.CoreV1Api(api).create_namespaced_pod_binding(
            pod.name, pod.namespace, binding, _preload_content=False
        )
    )


async def report_running(api: client.ApiClient, pod: Pod, pod_ip: str, host_ip: str, restarts: int) -> None:
    """Status Running and Ready with the Pod's address: what makes it an endpoint of its Service."""
    started = now()
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
                "name": pod.container,
                "image": pod.image,
                "imageID": "",
                "ready": True,
                "started": True,
                "restartCount": restarts,
                "state": {"running": {"startedAt": started}},
            }
        ],
    }
    await _sent(
        client.CoreV1Api(api).patch_namespaced_pod_status(
            pod.name, pod.namespace, {"status": status}, _preload_content=False
        )
    )


async def confirm_deletion(api: client.ApiClient, pod: Pod) -> None:
    """Delete a Pod whose processes have stopped at once, as a kubelet ends a graceful deletion."""
    options = {"gracePeriodSeconds": 0, "preconditions": {"uid": pod.uid}}
    try:
        await _sent(
            client.CoreV1Api(api).delete_namespaced_pod(
                pod.name, pod.namespace, body=options, grace_period_seconds=0, _preload_content=False
            )
        )
    except client.ApiException as exc:
        if exc.status not in (404, 409):
            raise


async def _sent(call: Any) -> bytes:
    """The body of the answer to a call made with `_preload_content=False`; ApiException unless 2xx."""
    response = await call
    try:
        body: bytes = await response.read()
    finally:
        response.release()
    if not 200 <= response.status <= 299:
        raise client.ApiException(status=response.status, reason=body.decode(errors="replace")[:200])
    return body


async def read_json(call: Any) -> dict[str, Any]:
    """The JSON answer of a call made with `_preload_content=False`."""
    return dict(json.loads(await _sent(call)))
