"""Traefik, a real ingress and Gateway API controller, outside the cluster: it routes every HTTP-01
validation that Pebble makes (and evercert's self-checks) to the solver Pods' addresses."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .binaries import binary
from .controlplane import ControlPlane
from .processes import Server, free_port, http_ok, wait_until
from .watchdog import answers, shared

# The IngressClass and GatewayClass that evercert's test issuers and Gateways name.
CLASS_NAME = "local"
INGRESS_CONTROLLER = "traefik.io/ingress-controller"
GATEWAY_CONTROLLER = "traefik.io/gateway-controller"
SERVICE_ACCOUNT = ("kube-system", "traefik")
GATEWAY_GROUP = "gateway.networking.k8s.io"


def cluster_objects() -> list[dict[str, object]]:
    """Traefik's ServiceAccount and read access (status writes aside), and the classes it serves."""
    namespace, name = SERVICE_ACCOUNT
    read = ["get", "list", "watch"]
    rules = [
        {
            "apiGroups": [""],
            "resources": ["services", "secrets", "configmaps", "namespaces", "nodes"],
            "verbs": read,
        },
        {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": read},
        {"apiGroups": ["networking.k8s.io"], "resources": ["ingresses", "ingressclasses"], "verbs": read},
        {"apiGroups": ["networking.k8s.io"], "resources": ["ingresses/status"], "verbs": ["update"]},
        {"apiGroups": [GATEWAY_GROUP], "resources": ["*"], "verbs": read},
        {"apiGroups": [GATEWAY_GROUP], "resources": ["*/status"], "verbs": ["update"]},
    ]
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": namespace}},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": name},
            "rules": rules,
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
            "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}],
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": {"name": CLASS_NAME},
            "spec": {"controller": INGRESS_CONTROLLER},
        },
        {
            "apiVersion": f"{GATEWAY_GROUP}/v1",
            "kind": "GatewayClass",
            "metadata": {"name": CLASS_NAME},
            "spec": {"controllerName": GATEWAY_CONTROLLER},
        },
    ]


def version() -> str:
    """What the built binary says it is, e.g. `3.6.15`."""
    out = subprocess.run([binary("traefik"), "version"], capture_output=True, text=True, check=True).stdout
    return next((line.split()[-1] for line in out.splitlines() if line.startswith("Version:")), "?")


@dataclass
class Traefik:
    """Traefik on `http_port` (loopback), with its Kubernetes Ingress and Gateway providers."""

    workdir: Path
    controlplane: ControlPlane
    http_port: int
    server: Server | None = field(default=None, init=False)

    def start(self) -> None:
        kubectl = self.controlplane.kubectl
        kubectl("apply", "-f", "-", input=yaml.safe_dump_all(cluster_objects()))
        namespace, name = SERVICE_ACCOUNT
        token = kubectl("create", "token", name, "-n", namespace, "--duration=48h").strip()
        ping_port = free_port()
        provider_flags = []
        for provider in ("kubernetesingress", "kubernetesgateway"):
            provider_flags += [
                f"--providers.{provider}=true",
                f"--providers.{provider}.endpoint={self.controlplane.url}",
                f"--providers.{provider}.token={token}",
                f"--providers.{provider}.certAuthFilePath={self.controlplane.workdir / 'pki' / 'ca.crt'}",
            ]
        self.server = Server(
            "traefik",
            [
                binary("traefik"),
                "--global.checkNewVersion=false",
                "--global.sendAnonymousUsage=false",
                # The Gateway listener that HTTP-01 HTTPRoutes attach to names this port too.
                f"--entryPoints.web.address=127.0.0.1:{self.http_port}",
                f"--entryPoints.ping.address=127.0.0.1:{ping_port}",
                "--ping.entryPoint=ping",
                # Apply each change at once: a challenge route is wanted the moment it exists.
                "--providers.providersThrottleDuration=0s",
                *provider_flags,
                "--log.level=INFO",
                "--accessLog=true",
            ],
            self.workdir / "traefik.log",
        )
        self.server.start()
        wait_until(lambda: http_ok(f"http://127.0.0.1:{ping_port}/ping"), self.server, 30)
        shared().watch(self.server, "GET /ping", lambda: answers(f"http://127.0.0.1:{ping_port}/ping"))

    def stop(self) -> None:
        if self.server:
            self.server.stop()
