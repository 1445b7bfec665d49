"""A cert-manager DNS webhook as an aggregated API server of the test apiserver, PowerDNS behind it.

The webhook (hack/pdns-webhook, on cert-manager's webhook server library) runs outside the cluster, on
the host end of the test bed's Pod network: the apiserver refuses loopback addresses in endpoints. A
Service without selector, its Endpoints and EndpointSlice name that address, and an APIService
`v1alpha1.<GROUP>` with the control plane's CA as caBundle sends `/apis/<GROUP>/v1alpha1/pdns` to it.
"""

from __future__ import annotations

import base64
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .binaries import binary
from .controlplane import ControlPlane
from .pdns import PowerDns
from .processes import Server, listen_port, wait_until

GROUP = "acme.pdns.test"
SOLVER = "pdns"
SERVICE = "pdns-webhook"


@dataclass
class DnsWebhook:
    workdir: Path
    controlplane: ControlPlane
    address: str  # a host address that is not loopback (the Pod network's host end)
    namespace: str = "evercert"
    # Where PowerDNS answers DNS: the test bed's BIND forwards its zone there (see Bind.forwarded_zones).
    dns_address: str = "127.0.0.1"
    dns_port: int = 0
    pdns: PowerDns = field(init=False)
    server: Server | None = None

    def __post_init__(self) -> None:
        self.pdns = PowerDns(self.workdir / "pdns", address=self.dns_address, dns_port=self.dns_port)

    @property
    def api_service(self) -> str:
        return f"v1alpha1.{GROUP}"

    def solver_config(self, secret_name: str = "pdns-api", key: str = "api-key") -> dict[str, object]:
        """The `webhook.config` of an Issuer's solver for this PowerDNS (its key in Secret `secret_name`)."""
        return {
            "host": self.pdns.api_url,
            "serverID": "localhost",
            "apiKeySecretRef": {"name": secret_name, "key": key},
        }

    def api_key_secret(
        self, namespace: str, name: str = "pdns-api", key: str = "api-key"
    ) -> dict[str, object]:
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": namespace},
            "data": {key: base64.b64encode(self.pdns.api_key.encode()).decode()},
        }

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.pdns.start()
        port = listen_port()
        serving = self.controlplane.ca.issue(
            SERVICE, hosts=(f"{SERVICE}.{self.namespace}.svc", self.address), server=True
        )
        (self.workdir / "tls.crt").write_bytes(serving.cert_pem)
        (self.workdir / "tls.key").write_bytes(serving.key_pem)
        kubeconfig = str(self.controlplane.kubeconfig)
        self.server = Server(
            "pdns-webhook",
            [
                binary("pdns-webhook"),
                f"--bind-address={self.address}",
                f"--secure-port={port}",
                f"--tls-cert-file={self.workdir / 'tls.crt'}",
                f"--tls-private-key-file={self.workdir / 'tls.key'}",
                f"--kubeconfig={kubeconfig}",
                f"--authentication-kubeconfig={kubeconfig}",
                f"--authorization-kubeconfig={kubeconfig}",
            ],
            self.workdir / "pdns-webhook.log",
            env={"GROUP_NAME": GROUP},
        )
        self.server.start()
        self.controlplane.kubectl("apply", "-f", "-", input=self._manifests(port))
        wait_until(self._available, self.server, 60)

    def _manifests(self, port: int) -> str:
        name, namespace = SERVICE, self.namespace
        ports = [{"name": "https", "port": port, "protocol": "TCP"}]
        objects: list[dict[str, object]] = [
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {"ports": [{"name": "https", "port": 443, "targetPort": port}]},
            },
            {
                "apiVersion": "v1",
                "kind": "Endpoints",
                "metadata": {"name": name, "namespace": namespace},
                "subsets": [{"addresses": [{"ip": self.address}], "ports": ports}],
            },
            {
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "metadata": {
                    "name": name,
                    "namespace": namespace,
                    "labels": {"kubernetes.io/service-name": name},
                },
                "addressType": "IPv4",
                "endpoints": [{"addresses": [self.address], "conditions": {"ready": True}}],
                "ports": ports,
            },
            {
                "apiVersion": "apiregistration.k8s.io/v1",
                "kind": "APIService",
                "metadata": {"name": self.api_service},
                "spec": {
                    "group": GROUP,
                    "version": "v1alpha1",
                    "service": {"name": name, "namespace": namespace, "port": 443},
                    "caBundle": base64.b64encode(self.controlplane.ca.cert_pem).decode(),
                    "groupPriorityMinimum": 1000,
                    "versionPriority": 15,
                },
            },
        ]
        return "---\n".join(yaml.safe_dump(item) for item in objects)

    def _available(self) -> bool:
        try:
            out = self.controlplane.kubectl("get", "apiservice", self.api_service, "-o", "json")
        except subprocess.CalledProcessError:
            return False
        conditions = json.loads(out).get("status", {}).get("conditions") or []
        return any(c.get("type") == "Available" and c.get("status") == "True" for c in conditions)

    def stop(self) -> None:
        # An APIService nobody serves would fail the cluster's discovery for every client after us.
        self.controlplane.kubectl("delete", "apiservice", self.api_service, "--ignore-not-found")
        if self.server is not None:
            self.server.stop()
            self.server = None
        self.pdns.stop()
