"""etcd + kube-apiserver (+ kube-controller-manager) on loopback, with an admin kubeconfig."""

from __future__ import annotations

import base64
import contextlib
import ssl
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .binaries import binary
from .certs import KeyPair, LocalCA, service_account_key_pem
from .processes import Server, free_port, http_ok, wait_until
from .watchdog import answers, shared

SERVICE_CIDR = "10.0.0.0/24"
# The aggregation layer (APIServices, e.g. a cert-manager DNS webhook): the apiserver proxies to them with
# this client certificate and the caller's identity in X-Remote-* headers.
FRONT_PROXY_CLIENT = "front-proxy-client"


def kubeconfig_yaml(server: str, ca_pem: bytes, user: dict[str, str], name: str = "evercert-local") -> str:
    """A kubeconfig with one cluster, one user and one context."""
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": name,
                    "cluster": {
                        "server": server,
                        "certificate-authority-data": base64.b64encode(ca_pem).decode(),
                    },
                }
            ],
            "users": [{"name": name, "user": user}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "current-context": name,
        }
    )


def client_cert_user(pair: KeyPair) -> dict[str, str]:
    return {
        "client-certificate-data": base64.b64encode(pair.cert_pem).decode(),
        "client-key-data": base64.b64encode(pair.key_pem).decode(),
    }


@dataclass
class ControlPlane:
    """A real control plane in `workdir`: start() brings it up, stop() takes it down."""

    workdir: Path
    with_controller_manager: bool = True
    ca: LocalCA = field(default_factory=LocalCA)
    servers: list[Server] = field(default_factory=list)
    url: str = ""

    @property
    def kubeconfig(self) -> Path:
        return self.workdir / "admin.kubeconfig"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        pki = self.workdir / "pki"
        pki.mkdir(exist_ok=True)
        (pki / "ca.crt").write_bytes(self.ca.cert_pem)
        serving = self.ca.issue("kube-apiserver", hosts=("127.0.0.1", "localhost"), server=True)
        (pki / "apiserver.crt").write_bytes(serving.cert_pem)
        (pki / "apiserver.key").write_bytes(serving.key_pem)
        (pki / "sa.key").write_bytes(service_account_key_pem())
        admin = self.ca.issue("evercert-admin", organization="system:masters")
        front_proxy = self.ca.issue(FRONT_PROXY_CLIENT)
        (pki / "front-proxy-client.crt").write_bytes(front_proxy.cert_pem)
        (pki / "front-proxy-client.key").write_bytes(front_proxy.key_pem)
        self._start_etcd()
        self._start_apiserver(pki)
        self.kubeconfig.write_text(kubeconfig_yaml(self.url, self.ca.cert_pem, client_cert_user(admin)))
        if self.with_controller_manager:
            self._start_controller_manager()

    def _start_etcd(self) -> None:
        client_port, peer_port = free_port(), free_port()
        self.etcd_url = f"http://127.0.0.1:{client_port}"
        etcd = Server(
            "etcd",
            [
                binary("etcd"),
                f"--data-dir={self.workdir / 'etcd'}",
                f"--listen-client-urls={self.etcd_url}",
                f"--advertise-client-urls={self.etcd_url}",
                f"--listen-peer-urls=http://127.0.0.1:{peer_port}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}",
                f"--initial-cluster=default=http://127.0.0.1:{peer_port}",
                "--unsafe-no-fsync",
                "--quota-backend-bytes=8589934592",
                "--log-level=warn",
            ],
            self.workdir / "etcd.log",
        )
        self._launch(etcd, lambda: http_ok(f"{self.etcd_url}/health"), 30)
        shared().watch(etcd, "GET /health", lambda: answers(f"{self.etcd_url}/health"))

    def _start_apiserver(self, pki: Path) -> None:
        port = free_port()
        self.url = f"https://127.0.0.1:{port}"
        apiserver = Server(
            "kube-apiserver",
            [
                binary("kube-apiserver"),
                f"--etcd-servers={self.etcd_url}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={port}",
                f"--cert-dir={pki}",
                f"--tls-cert-file={pki / 'apiserver.crt'}",
                f"--tls-private-key-file={pki / 'apiserver.key'}",
                f"--client-ca-file={pki / 'ca.crt'}",
                "--service-account-issuer=https://kubernetes.default.svc",
                f"--service-account-key-file={pki / 'sa.key'}",
                f"--service-account-signing-key-file={pki / 'sa.key'}",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--authorization-mode=RBAC",
                "--disable-admission-plugins=ServiceAccount",
                "--allow-privileged=true",
                "--audit-log-path=" + str(self.workdir / "audit.log"),
                "--audit-policy-file=" + str(self._audit_policy()),
                "--audit-log-format=json",
                *self._aggregation_flags(pki),
            ],
            self.workdir / "kube-apiserver.log",
        )
        self._launch(apiserver, self._apiserver_ready, 90)
        context = ssl.create_default_context(cafile=str(self.workdir / "pki" / "ca.crt"))
        shared().watch(apiserver, "GET /livez", lambda: answers(f"{self.url}/livez", context=context))

    @staticmethod
    def _aggregation_flags(pki: Path) -> list[str]:
        """Turn on the aggregation layer; it routes to an APIService's endpoints (there is no kube-proxy)."""
        return [
            f"--requestheader-client-ca-file={pki / 'ca.crt'}",
            f"--requestheader-allowed-names={FRONT_PROXY_CLIENT}",
            "--requestheader-username-headers=X-Remote-User",
            "--requestheader-group-headers=X-Remote-Group",
            "--requestheader-extra-headers-prefix=X-Remote-Extra-",
            f"--proxy-client-cert-file={pki / 'front-proxy-client.crt'}",
            f"--proxy-client-key-file={pki / 'front-proxy-client.key'}",
            "--enable-aggregator-routing=true",
        ]

    def _apiserver_ready(self) -> bool:
        context = ssl.create_default_context(cafile=str(self.workdir / "pki" / "ca.crt"))
        return http_ok(f"{self.url}/readyz", context)

    @contextlib.contextmanager
    def apiserver_down(self) -> Iterator[None]:
        """kube-apiserver killed (as a crash would) for the block, then started on the same port and etcd.

        Every client sees its requests fail and its watch streams break while it is away.
        """
        apiserver = next(server for server in self.servers if server.name == "kube-apiserver")
        apiserver.kill()
        try:
            yield
        finally:
            apiserver.start()
            wait_until(self._apiserver_ready, apiserver, 90)

    def _audit_policy(self) -> Path:
        """Metadata-level audit of requests, so tests can check who wrote what (never bodies).

        Writes to a Certificate's status are recorded with their body (it holds no key material),
        so a test can tell which write reported it Ready."""
        path = self.workdir / "audit-policy.yaml"
        status_writes = {
            "level": "Request",
            "verbs": ["patch", "update"],
            "resources": [{"group": "evercert.dev", "resources": ["certificates/status"]}],
        }
        path.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "audit.k8s.io/v1",
                    "kind": "Policy",
                    "omitStages": ["RequestReceived"],
                    "rules": [status_writes, {"level": "Metadata"}],
                }
            )
        )
        return path

    def _start_controller_manager(self) -> None:
        manager = Server(
            "kube-controller-manager",
            [
                binary("kube-controller-manager"),
                f"--kubeconfig={self.kubeconfig}",
                # The Deployment and ReplicaSet controllers make the rollouts that reload on renewal starts;
                # the EndpointSlice controller publishes solver Pods for the ingress controller.
                "--controllers=garbage-collector-controller,namespace-controller,"
                "deployment-controller,replicaset-controller,endpointslice-controller",
                "--leader-elect=false",
                "--secure-port=0",
                "--concurrent-gc-syncs=5",
            ],
            self.workdir / "kube-controller-manager.log",
        )
        manager.start()
        self.servers.append(manager)

    def _launch(self, server: Server, ready: Callable[[], bool], timeout: float) -> None:
        server.start()
        self.servers.append(server)
        wait_until(ready, server, timeout)

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()
        self.servers.clear()

    def kubectl(self, *args: str, kubeconfig: Path | None = None, input: str | None = None) -> str:
        """Run the real kubectl against this control plane; raise with its stderr on failure."""
        result = subprocess.run(
            [binary("kubectl"), f"--kubeconfig={kubeconfig or self.kubeconfig}", *args],
            input=input,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise subprocess.CalledProcessError(result.returncode, result.args, result.stdout, result.stderr)
        return result.stdout

    def user_kubeconfig(self, user: str, path: Path, group: str = "system:masters") -> Path:
        """A kubeconfig for a client-certificate user of its own: the audit log tells its requests apart."""
        pair = self.ca.issue(user, organization=group)
        path.write_text(kubeconfig_yaml(self.url, self.ca.cert_pem, client_cert_user(pair), name=user))
        return path

    def service_account_kubeconfig(self, namespace: str, name: str, path: Path) -> Path:
        """A kubeconfig that acts as the ServiceAccount, so its RBAC is what is really checked."""
        token = self.kubectl("create", "token", name, "-n", namespace, "--duration=24h").strip()
        path.write_text(
            kubeconfig_yaml(self.url, self.ca.cert_pem, {"token": token}, name=f"{namespace}-{name}")
        )
        return path
