"""One HTTP-01 challenge to answer, and the names, labels and owner every solver object shares."""

import re
from dataclasses import dataclass, field
from typing import Any

from evercert.api.issuer import Http01GatewaySolver, Http01IngressSolver
from evercert.core.constants import (
    API_VERSION,
    CERTIFICATE_KIND,
    LABEL_CERTIFICATE,
    LABEL_MANAGED_BY,
    LABEL_SOLVER,
    LABEL_SOLVER_NAME,
    MANAGED_BY,
)
from evercert.kube.names import MAX_LABEL_VALUE, bounded_name, digest
from evercert.kube.owners import controller_reference

SOLVER_NAME_PREFIX = "evercert-solver-"

# RFC 8555 section 8.3: a token is base64url without padding. It ends up in a URL path and in
# container args, so anything else from the CA is refused rather than served.
_TOKEN = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class SolverRequest:
    """Everything needed to build the Pod, Service and route (Ingress or HTTPRoute) of one challenge."""

    certificate_name: str
    certificate_uid: str
    namespace: str
    dns_name: str
    token: str
    key_authorization: str
    image: str
    solver: Http01IngressSolver | Http01GatewaySolver = field(default_factory=Http01IngressSolver)
    # The Certificate's own solver Ingress class (the ingress-shim's annotation) wins over the Issuer's.
    ingress_class_override: str | None = None

    def __post_init__(self) -> None:
        if not _TOKEN.fullmatch(self.token):
            raise ValueError(f"ACME token {self.token!r} is not base64url")

    @property
    def ingress_class_name(self) -> str | None:
        return self.ingress_class_override or getattr(self.solver, "ingress_class_name", None)

    @property
    def ingress_class(self) -> str | None:
        return None if self.ingress_class_override else getattr(self.solver, "ingress_class", None)


def url_host(name: str) -> str:
    """`name` as the host of a URL or Host header: IPv6 addresses in brackets."""
    return f"[{name}]" if ":" in name else name


def solver_name(request: SolverRequest) -> str:
    """The name of the Pod, Service and route: the same for the same challenge, across restarts."""
    key = f"{request.namespace}/{request.certificate_name}/{request.dns_name}/{request.token}"
    return SOLVER_NAME_PREFIX + digest(key)


def certificate_label_value(certificate_name: str) -> str:
    """The Certificate's name as a label value: names longer than 63 characters are cut and hashed."""
    return bounded_name(certificate_name, MAX_LABEL_VALUE)


def solver_labels(request: SolverRequest) -> dict[str, str]:
    """Labels on every solver object; the Service selects its Pod by exactly these."""
    return {
        LABEL_MANAGED_BY: MANAGED_BY,
        LABEL_SOLVER: "true",
        LABEL_CERTIFICATE: certificate_label_value(request.certificate_name),
        LABEL_SOLVER_NAME: solver_name(request),
    }


def owner_reference(request: SolverRequest) -> dict[str, Any]:
    """A controller reference to the Certificate, so garbage collection removes leftovers."""
    return controller_reference(
        API_VERSION, CERTIFICATE_KIND, request.certificate_name, request.certificate_uid
    )


def solver_metadata(request: SolverRequest) -> dict[str, Any]:
    """The metadata shared by the Pod, Service and route of one challenge."""
    return {
        "name": solver_name(request),
        "namespace": request.namespace,
        "labels": solver_labels(request),
        "ownerReferences": [owner_reference(request)],
    }
