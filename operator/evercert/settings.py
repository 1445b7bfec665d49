"""Operator settings, read once from the environment (the Helm chart sets them)."""

from __future__ import annotations

import datetime
import os
import socket
from dataclasses import dataclass, field

from . import __version__
from .core import constants
from .dns01.addresses import address_and_port
from .scheduling.settings import SchedulingSettings

# Each issuance holds an ACME thread while it polls (the blocking client sleeps between two polls), so
# the pool has a thread per issuance slot, and a few more for renewal-information checks meanwhile.
ACME_WORKERS_SPARE = 8


def default_acme_workers(scheduling: SchedulingSettings) -> int:
    return scheduling.max_concurrent_issuances + ACME_WORKERS_SPARE


def _flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def _list(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


def _nameservers(text: str) -> tuple[str, ...]:
    servers = _list(text)
    for server in servers:
        try:
            address_and_port(server)
        except ValueError:
            raise ValueError(
                f"EVERCERT_DNS01_NAMESERVERS: {server!r} is not an IP address with an optional :port"
            ) from None
    return servers


@dataclass(frozen=True)
class Settings:
    solver_image: str
    self_check_address: str | None
    cluster_resource_namespace: str
    namespaces: tuple[str, ...]
    acme_workers: int
    certificate_owner_ref: bool
    issuance_deadline_seconds: float
    log_format: str
    log_level: str
    # The ingress-shim: also read cert-manager's annotations, and the issuer for `kubernetes.io/tls-acme`.
    cert_manager_annotations: bool = False
    default_issuer_name: str | None = None
    default_issuer_kind: str = "ClusterIssuer"
    # The wait after the first failed attempt, doubling after each further one (tests shorten it).
    first_backoff: datetime.timedelta = datetime.timedelta(minutes=1)
    # The longest one API request may take: a connection that went silent must not stall a Certificate.
    api_timeout_seconds: float = constants.API_TIMEOUT_SECONDS
    # A watch that brings nothing (not even a bookmark, sent every minute) this long is restarted.
    watch_inactivity_seconds: float = 70.0
    # Looks at once, and issuances at once (the solver Pods alive, the orders open at the CA).
    scheduling: SchedulingSettings = field(default_factory=SchedulingSettings)
    # Leases decide which replica works on what (off: this one serves everything, and asks nothing).
    leader_election: bool = False
    # Shard Leases the replicas share the Certificates over; 1: one leader, the others stand by.
    shards: int = 1
    # How long a Lease lasts unrenewed (client-go's 15 s; renew deadline and retry scale with it).
    lease_duration_seconds: float = 15.0
    # Where the Leases live, and this replica's name in them.
    pod_namespace: str = "evercert"
    pod_name: str = "evercert"
    # The Prometheus metrics endpoint's port (cert-manager's); 0: no endpoint.
    metrics_port: int = 9402
    # DNS-01: the recursive nameservers ("host:port") that find zones, CNAMEs and a zone's nameservers
    # (none: the system's), and the port the authoritative nameservers are asked on.
    dns01_nameservers: tuple[str, ...] = ()
    dns01_authoritative_port: int = 53

    @classmethod
    def from_env(cls) -> Settings:
        namespaces = os.environ.get("EVERCERT_NAMESPACES", "")
        cluster_resource_namespace = os.environ.get(
            "EVERCERT_CLUSTER_RESOURCE_NAMESPACE", os.environ.get("POD_NAMESPACE", "evercert")
        )
        scheduling = SchedulingSettings.from_env()
        return cls(
            solver_image=os.environ.get("EVERCERT_SOLVER_IMAGE", f"evercert/evercert:{__version__}"),
            self_check_address=os.environ.get("EVERCERT_SELF_CHECK_ADDRESS") or None,
            cluster_resource_namespace=cluster_resource_namespace,
            namespaces=_list(namespaces),
            acme_workers=int(os.environ.get("EVERCERT_ACME_WORKERS") or default_acme_workers(scheduling)),
            certificate_owner_ref=_flag("EVERCERT_CERTIFICATE_OWNER_REF"),
            issuance_deadline_seconds=float(os.environ.get("EVERCERT_ISSUANCE_DEADLINE_SECONDS", "180")),
            log_format=os.environ.get("EVERCERT_LOG_FORMAT", "json"),
            log_level=os.environ.get("EVERCERT_LOG_LEVEL", "INFO"),
            cert_manager_annotations=_flag("EVERCERT_CERT_MANAGER_ANNOTATIONS"),
            default_issuer_name=os.environ.get("EVERCERT_DEFAULT_ISSUER_NAME") or None,
            default_issuer_kind=os.environ.get("EVERCERT_DEFAULT_ISSUER_KIND") or "ClusterIssuer",
            first_backoff=datetime.timedelta(
                seconds=float(os.environ.get("EVERCERT_BACKOFF_BASE_SECONDS", "60"))
            ),
            api_timeout_seconds=float(
                os.environ.get("EVERCERT_API_TIMEOUT_SECONDS", constants.API_TIMEOUT_SECONDS)
            ),
            watch_inactivity_seconds=float(os.environ.get("EVERCERT_WATCH_INACTIVITY_SECONDS", "70")),
            scheduling=scheduling,
            leader_election=_flag("EVERCERT_LEADER_ELECTION"),
            shards=max(1, int(os.environ.get("EVERCERT_SHARDS", "1"))),
            lease_duration_seconds=float(os.environ.get("EVERCERT_LEASE_DURATION_SECONDS", "15")),
            pod_namespace=os.environ.get("POD_NAMESPACE") or cluster_resource_namespace,
            pod_name=os.environ.get("POD_NAME") or socket.gethostname(),
            metrics_port=int(os.environ.get("EVERCERT_METRICS_PORT", "9402")),
            dns01_nameservers=_nameservers(os.environ.get("EVERCERT_DNS01_NAMESERVERS", "")),
            dns01_authoritative_port=int(os.environ.get("EVERCERT_DNS01_AUTHORITATIVE_PORT", "53")),
        )
