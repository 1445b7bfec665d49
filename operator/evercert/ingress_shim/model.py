"""The shim's values: what an Ingress asks for, and what it knows of a Certificate in the cluster."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class IngressRef:
    name: str
    uid: str
    created: str = ""  # creationTimestamp: the first Ingress to ask for a secretName controls it


@dataclass(frozen=True)
class DesiredCertificate:
    """One Certificate an Ingress asks for: named after its secretName."""

    name: str
    spec: Mapping[str, Any]
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class IngressRequest:
    """What one annotated Ingress asks for, and what is wrong with the rest of it."""

    ingress: IngressRef
    certificates: tuple[DesiredCertificate, ...]
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExistingCertificate:
    """What the plan needs to know of a Certificate in the cluster."""

    name: str
    uid: str
    owner_uid: str | None  # the controlling Ingress; None for Certificates not made from an Ingress
    spec: Mapping[str, Any]
    annotations: Mapping[str, str]
    conflict: str | None  # the message of the conflict condition, if set
