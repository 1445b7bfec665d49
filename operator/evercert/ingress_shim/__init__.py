"""The ingress-shim: annotated Ingresses → Certificates. What each Ingress asks for (requests), a pure
plan for its namespace (plan), and the sync that carries the plan out (sync, writes). The plan, the
bodies, the writes and the sync take the kind of object that asks (`Source`): the gateway-shim uses
them for Gateways."""

from .annotations import ShimOptions
from .bodies import existing_certificate
from .model import INGRESS, ExistingCertificate, ShimRequest, Source
from .requests import ingress_request
from .sync import Shim, ShimState

__all__ = [
    "INGRESS",
    "ExistingCertificate",
    "Shim",
    "ShimOptions",
    "ShimRequest",
    "ShimState",
    "Source",
    "existing_certificate",
    "ingress_request",
]
