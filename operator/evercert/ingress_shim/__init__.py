"""The ingress-shim: annotated Ingresses → Certificates. What each Ingress asks for (requests), a pure
plan for its namespace (plan), and the sync that carries the plan out (sync, writes)."""

from .annotations import ShimOptions
from .bodies import existing_certificate
from .model import ExistingCertificate, ShimRequest
from .requests import ingress_request
from .sync import Shim, ShimState

__all__ = [
    "ExistingCertificate",
    "Shim",
    "ShimOptions",
    "ShimRequest",
    "ShimState",
    "existing_certificate",
    "ingress_request",
]
