"""The whole local environment: control plane, Pebble, BIND (DNS-01), Traefik and the solver host (or the
solver host alone, routing itself, where the test bed cannot make a network namespace), the CRDs
(evercert's and the Gateway API's), and the operator."""

from __future__ import annotations

import base64
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .binaries import REPO, gateway_api_crds, testbin_dir
from .controlplane import ControlPlane
from .dns import ALGORITHM, KEY_NAME, Bind
from .pdns import ZONE as PDNS_ZONE
from .pebble import Pebble
from .podnetwork import PodNetwork, PodNetworkUnavailable
from .processes import Server, free_port, listen_port
from .traefik import Traefik, version

CRDS = REPO / "deploy" / "crds"
CLUSTER_RESOURCE_NAMESPACE = "evercert"
LOCAL_ISSUER = "local-pebble"
LOCAL_DNS_ISSUER = "local-pebble-dns"
TSIG_SECRET = "local-dns-tsig"


@dataclass
class LocalEnvironment:
    workdir: Path
    with_controller_manager: bool = True
    # False leaves the CRDs to whatever installs evercert (the e2e tests: `helm install`).
    with_crds: bool = True
    controlplane: ControlPlane = field(init=False)
    pebble: Pebble = field(init=False)
    bind: Bind = field(init=False)
    solverhost: Server | None = None
    pod_network: PodNetwork | None = None
    traefik: Traefik | None = None
    routing: str = ""  # what routes HTTP-01 validations, for the test output
    operators: list[Server] = field(default_factory=list)
    started_in: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        self.controlplane = ControlPlane(self.workdir / "controlplane", self.with_controller_manager)
        self.pebble = Pebble(self.workdir / "pebble", dns_port=free_port())
        self.bind = Bind(
            self.workdir / "bind", forward_port=self.pebble.dns_port, forwarded_zones=(PDNS_ZONE,)
        )

    @property
    def kubeconfig(self) -> Path:
        return self.controlplane.kubeconfig

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.controlplane.start()
        self.bind.start()
        self.pebble.dns_server = self.bind.address  # DNS-01 asks BIND; other names reach challtestsrv
        self.pebble.start()
        # The cluster's own: Gateway API users have them before they install evercert.
        self.controlplane.kubectl("apply", "--server-side", "-f", str(gateway_api_crds()))
        if self.with_crds:
            self.controlplane.kubectl("apply", "--server-side", "-f", str(CRDS))
        self.controlplane.kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
        self.controlplane.kubectl("create", "namespace", CLUSTER_RESOURCE_NAMESPACE)
        self.apply(self.tsig_secret(CLUSTER_RESOURCE_NAMESPACE))
        self._start_routing()

    def _start_routing(self) -> None:
        """Traefik routes to solver Pods in a network namespace; without one the solver host routes."""
        try:
            if not (testbin_dir() / "traefik").exists():
                raise PodNetworkUnavailable("no traefik binary: run `make testbin`")
            if not self.with_controller_manager:
                raise PodNetworkUnavailable("no kube-controller-manager: no EndpointSlices for Traefik")
            self.pod_network = PodNetwork.create()
        except PodNetworkUnavailable as exc:
            self.routing = f"HTTP-01 routed by the solver host itself (fallback: {exc})"
            self._start_solverhost(["--port", str(self.pebble.http01_port)])
            return
        network = self.pod_network
        self._start_solverhost(["--netns", network.namespace, "--pod-subnet", str(network.subnet)])
        self.traefik = Traefik(self.workdir, self.controlplane, self.pebble.http01_port)
        self.traefik.start()
        self.routing = (
            f"HTTP-01 routed by Traefik {version()} (Ingress + Gateway API providers) to solver Pods "
            f"in network namespace {network.namespace} ({network.subnet})"
        )

    @property
    def http01_gateway_port(self) -> int:
        """The port a Gateway listener names for Traefik to serve its routes where Pebble validates."""
        return self.pebble.http01_port

    def _start_solverhost(self, mode: list[str]) -> None:
        ready = self.workdir / "solverhost.ready"
        ready.unlink(missing_ok=True)
        self.solverhost = Server(
            "solverhost",
            [
                sys.executable,
                "-m",
                "evercert_devenv.solverhost",
                "--kubeconfig",
                str(self.kubeconfig),
                *mode,
                "--ready-file",
                str(ready),
            ],
            self.workdir / "solverhost.log",
            env=python_path_env(),
        )
        self.solverhost.start()
        deadline = time.monotonic() + 30
        while not ready.exists():
            if not self.solverhost.running() or time.monotonic() > deadline:
                raise RuntimeError(f"solverhost did not start:\n{self.solverhost.log_tail()}")
            time.sleep(0.05)

    def operator_env(self, kubeconfig: Path | None = None) -> dict[str, str]:
        return {
            **python_path_env(),
            "KUBECONFIG": str(kubeconfig or self.kubeconfig),
            "EVERCERT_SELF_CHECK_ADDRESS": f"127.0.0.1:{self.pebble.http01_port}",
            "EVERCERT_CLUSTER_RESOURCE_NAMESPACE": CLUSTER_RESOURCE_NAMESPACE,
            "EVERCERT_SOLVER_IMAGE": "evercert/evercert:local",
            "EVERCERT_LOG_FORMAT": "json",
            # Each operator its own port: several run side by side on this machine (see metrics_url).
            "EVERCERT_METRICS_PORT": str(listen_port()),
            # DNS-01: zones and nameservers are found through BIND, which serves them on its own port.
            "EVERCERT_DNS01_NAMESERVERS": self.bind.address,
            "EVERCERT_DNS01_AUTHORITATIVE_PORT": str(self.bind.port),
        }

    def start_operator(
        self,
        name: str = "operator",
        kubeconfig: Path | None = None,
        extra_env: dict[str, str] | None = None,
        args: Sequence[str] = ("run",),
    ) -> Server:
        """The operator as its own process, as it runs in its Pod (`args`: its container's args)."""
        operator = Server(
            name,
            [sys.executable, "-m", "evercert", *args],
            self.workdir / f"{name}.log",
            env={**self.operator_env(kubeconfig), **(extra_env or {})},
        )
        operator.start()
        self.operators.append(operator)
        return operator

    @staticmethod
    def metrics_url(operator: Server) -> str:
        """Where an operator started by start_operator serves its metrics."""
        return f"http://127.0.0.1:{operator.env['EVERCERT_METRICS_PORT']}/metrics"

    def cluster_issuer(self, name: str = LOCAL_ISSUER) -> dict[str, object]:
        """A ClusterIssuer for the local Pebble (its HTTPS is signed by the local CA: caBundle)."""
        return {
            "apiVersion": "evercert.dev/v1",
            "kind": "ClusterIssuer",
            "metadata": {"name": name},
            "spec": {
                "acme": {
                    "server": self.pebble.directory_url,
                    "email": "admin@example.org",
                    "privateKeySecretRef": {"name": f"{name}-account-key"},
                    # Pebble picks a random profile for orders without one: ask for the 90-day one.
                    "profile": "default",
                    "caBundle": base64.b64encode(self.pebble.ca.cert_pem).decode(),
                    "solvers": [{"http01": {"ingress": {"ingressClassName": "local"}}}],
                }
            },
        }

    def dns_cluster_issuer(
        self, name: str = LOCAL_DNS_ISSUER, solvers: list[dict[str, object]] | None = None
    ) -> dict[str, object]:
        """A ClusterIssuer for the local Pebble that solves DNS-01 by RFC 2136 updates to BIND
        (`solvers` replaces its one solver, e.g. to mix in HTTP-01 by selector)."""
        issuer = self.cluster_issuer(name)
        acme = issuer["spec"]["acme"]  # type: ignore[index]
        acme["solvers"] = solvers or [{"dns01": {"rfc2136": self.rfc2136()}}]
        return issuer

    def rfc2136(self, key_name: str = KEY_NAME, secret: str = TSIG_SECRET) -> dict[str, object]:
        """An rfc2136 provider section for BIND (its TSIG secret in the Secret `secret`)."""
        return {
            "nameserver": self.bind.address,
            "tsigKeyName": key_name,
            "tsigAlgorithm": ALGORITHM,
            "tsigSecretSecretRef": {"name": secret, "key": "secret"},
        }

    def tsig_secret(
        self, namespace: str, name: str = TSIG_SECRET, value: str | None = None
    ) -> dict[str, object]:
        """The Secret with BIND's TSIG secret (or `value`), for an rfc2136 solver's tsigSecretSecretRef."""
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": namespace},
            "stringData": {"secret": value or self.bind.tsig_secret},
        }

    def apply(self, manifest: dict[str, object] | str) -> str:
        text = manifest if isinstance(manifest, str) else yaml.safe_dump(manifest)
        return self.controlplane.kubectl("apply", "-f", "-", input=text)

    def stop(self) -> None:
        for operator in self.operators:
            operator.stop()
        self.operators.clear()
        if self.traefik:
            self.traefik.stop()
        if self.solverhost:
            self.solverhost.stop()
        if self.pod_network:
            self.pod_network.remove()
            self.pod_network = None
        self.pebble.stop()
        self.bind.stop()
        self.controlplane.stop()

    def __enter__(self) -> LocalEnvironment:
        """Start (and stop again if the start fails half-way); `started_in` says how long it took."""
        began = time.monotonic()
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - began
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def python_path_env() -> dict[str, str]:
    """So child processes import evercert and evercert_devenv from this checkout."""
    paths = [str(REPO / "operator"), str(REPO / "devenv")]
    existing = os.environ.get("PYTHONPATH")
    return {"PYTHONPATH": os.pathsep.join([*paths, existing] if existing else paths)}
