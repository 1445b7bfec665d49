"""The shim's values: which kind of object asks (Ingress, or Gateway for the gateway-shim), what one
asks for, and what the shim knows of a Certificate in the cluster."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core import constants, reasons


@dataclass(frozen=True)
class Source:
    """The kind of object whose annotations ask for Certificates, and the words used about it."""

    kind: str
    api_version: str
    conflict_condition: str  # the Certificate's condition when two of them ask for it differently
    invalid_reason: str  # the reason of the Warning about what is wrong with one
    secret_field: str  # where it names the Secret, as users write it


INGRESS = Source(
    "Ingress", constants.INGRESS_API_VERSION, reasons.INGRESS_CONFLICT, reasons.INVALID_INGRESS, "secretName"
)


@dataclass(frozen=True)
class OwnerRef:
    """The object that asks (an Ingress or a Gateway), which controls the Certificates made for it."""

    name: str
    uid: str
    created: str = ""  # creationTimestamp: the first object to ask for a Secret controls its Certificate


@dataclass(frozen=True)
class DesiredCertificate:
    """One Certificate an object asks for: named after its Secret."""

    name: str
    spec: Mapping[str, Any]
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ShimRequest:
    """What one annotated object asks for, and what is wrong with the rest of it."""

    owner: OwnerRef
    certificates: tuple[DesiredCertificate, ...]
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExistingCertificate:
    """What the plan needs to know of a Certificate in the cluster."""

    name: str
    uid: str
    owner_uid: str | None  # the controlling object of the shim's kind; None for Certificates made otherwise
    spec: Mapping[str, Any]
    annotations: Mapping[str, str]
    conflict: str | None  # the message of the conflict condition, if set
