"""One HTTP-01 challenge to answer, and the names, labels and owner every solver object shares."""

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from evercert.constants import (
    API_VERSION,
    LABEL_CERTIFICATE,
    LABEL_MANAGED_BY,
    LABEL_SOLVER,
    LABEL_SOLVER_NAME,
    MANAGED_BY,
)

SOLVER_NAME_PREFIX = "evercert-solver-"
MAX_LABEL_VALUE = 63

# RFC 8555 section 8.3: a token is base64url without padding. It ends up in a URL path and in
# container args, so anything else from the CA is refused rather than served.
_TOKEN = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class SolverRequest:
    """Everything needed to build the Pod, Service and Ingress that answer one challenge."""

    certificate_name: str
    certificate_uid: str
    namespace: str
    dns_name: str
    token: str
    key_authorization: str
    image: str
    ingress_class_name: str | None = None
    ingress_class: str | None = None
    service_type: str = "ClusterIP"
    path_type: str = "Exact"
    pod_labels: Mapping[str, str] = field(default_factory=dict)
    pod_annotations: Mapping[str, str] = field(default_factory=dict)
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[dict[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if not _TOKEN.fullmatch(self.token):
            raise ValueError(f"ACME token {self.token!r} is not base64url")


def solver_name(request: SolverRequest) -> str:
    """The name of the Pod, Service and Ingress: the same for the same challenge, across restarts."""
    key = f"{request.namespace}/{request.certificate_name}/{request.dns_name}/{request.token}"
    return SOLVER_NAME_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:10]


def certificate_label_value(certificate_name: str) -> str:
    """The Certificate's name as a label value: names longer than 63 characters are cut and hashed."""
    if len(certificate_name) <= MAX_LABEL_VALUE:
        return certificate_name
    digest = hashlib.sha256(certificate_name.encode()).hexdigest()[:10]
    return f"{certificate_name[: MAX_LABEL_VALUE - len(digest) - 1]}-{digest}"


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
    return {
        "apiVersion": API_VERSION,
        "kind": "Certificate",
        "name": request.certificate_name,
        "uid": request.certificate_uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def solver_metadata(request: SolverRequest) -> dict[str, Any]:
    """The metadata shared by the Pod, Service and Ingress of one challenge."""
    return {
        "name": solver_name(request),
        "namespace": request.namespace,
        "labels": solver_labels(request),
        "ownerReferences": [owner_reference(request)],
    }
