"""The bench's view of the local environment: the operator as its own process with its own identity."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from kubernetes_asyncio import client, config

from evercert_devenv.environment import CLUSTER_RESOURCE_NAMESPACE, LOCAL_ISSUER, LocalEnvironment
from evercert_devenv.processes import Server

SERVICE_ACCOUNT = "evercert-bench"


@dataclass
class BenchCluster:
    """A started LocalEnvironment, and the operator in it.

    The operator runs as a ServiceAccount, so the audit log tells its requests from the bench's."""

    env: LocalEnvironment
    operator_env: dict[str, str] = field(default_factory=dict)
    operator: Server | None = None
    starts: int = 0
    # Operators with leader election (the failover phases), by their POD_NAME.
    replicas: dict[str, Server] = field(default_factory=dict)

    @property
    def kubeconfig(self) -> Path:
        """The operator's own (the ServiceAccount's)."""
        return self.env.workdir / "operator.kubeconfig"

    @property
    def operator_user(self) -> str:
        return f"system:serviceaccount:{CLUSTER_RESOURCE_NAMESPACE}:{SERVICE_ACCOUNT}"

    @property
    def audit_log(self) -> Path:
        return self.env.controlplane.workdir / "audit.log"

    @property
    def pebble_log(self) -> Path:
        return self.env.pebble.workdir / "pebble.log"

    def prepare(self) -> None:
        """The operator's ServiceAccount, the operator, and the ClusterIssuer for the local Pebble, Ready."""
        kubectl = self.env.controlplane.kubectl
        kubectl("create", "serviceaccount", SERVICE_ACCOUNT, "-n", CLUSTER_RESOURCE_NAMESPACE)
        kubectl(
            "create",
            "clusterrolebinding",
            SERVICE_ACCOUNT,
            "--clusterrole=cluster-admin",
            f"--serviceaccount={CLUSTER_RESOURCE_NAMESPACE}:{SERVICE_ACCOUNT}",
        )
        self.env.controlplane.service_account_kubeconfig(
            CLUSTER_RESOURCE_NAMESPACE, SERVICE_ACCOUNT, self.kubeconfig
        )
        self.start_operator()
        self.env.apply(self.env.cluster_issuer())
        self._wait_issuer_ready(60)

    def start_operator(self) -> Server:
        self.starts += 1
        self.operator = self.env.start_operator(f"operator-{self.starts}", self.kubeconfig, self.operator_env)
        return self.operator

    def stop_operator(self) -> None:
        if self.operator is not None:
            self.operator.stop(timeout=30)

    def start_replica(self, name: str, shards: int) -> Server:
        """A replica with leader election and `shards` shard Leases (15 s Leases, the default)."""
        settings = {"EVERCERT_LEADER_ELECTION": "true", "EVERCERT_SHARDS": str(shards), "POD_NAME": name}
        server = self.env.start_operator(name, self.kubeconfig, {**self.operator_env, **settings})
        self.replicas[name] = server
        return server

    def stop_replicas(self) -> None:
        for server in self.replicas.values():
            server.stop(timeout=30)
        self.replicas.clear()

    @property
    def operator_pid(self) -> int:
        assert self.operator is not None and self.operator.process is not None, "operator not running"
        return self.operator.process.pid

    def processes(self) -> dict[str, int]:
        """Every server of the environment by name → pid (to see where the CPU goes)."""
        servers = [*self.env.controlplane.servers, *self.env.pebble.servers, self.env.solverhost]
        pids = {s.name: s.process.pid for s in servers if s is not None and s.process is not None}
        return {**pids, "operator": self.operator_pid}

    def metrics_url(self) -> str:
        assert self.operator is not None
        return self.env.metrics_url(self.operator)

    def check_operator(self) -> None:
        """Fail loudly (with its log) when the operator died."""
        if self.operator is None or not self.operator.running():
            tail = self.operator.log_tail(40) if self.operator else ""
            raise RuntimeError(f"the operator is not running:\n{tail}")

    def _wait_issuer_ready(self, timeout: float, name: str = LOCAL_ISSUER) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_operator()
            out = self.env.controlplane.kubectl("get", "clusterissuer", name, "-o", "json")
            conditions = (json.loads(out).get("status") or {}).get("conditions") or []
            if any(c["type"] == "Ready" and c["status"] == "True" for c in conditions):
                return
            time.sleep(0.2)
        raise TimeoutError(f"ClusterIssuer {name} not Ready after {timeout:.0f} s")

    def apply_issuer(self, manifest: dict[str, object], timeout: float = 60) -> None:
        """Apply a ClusterIssuer and wait until it is Ready."""
        self.env.apply(manifest)
        self._wait_issuer_ready(timeout, str(manifest["metadata"]["name"]))  # type: ignore[index]

    async def api_client(self) -> client.ApiClient:
        """An API client for the bench itself (the admin user, not the operator's identity)."""
        configuration = client.Configuration()
        await config.load_kube_config(
            config_file=str(self.env.kubeconfig), client_configuration=configuration, persist_config=False
        )
        configuration.connection_pool_maxsize = 64
        return client.ApiClient(configuration)
