"""The plan, pure: what to change so that a namespace's Certificates are what its Ingresses ask for.

A Certificate is named after its secretName and controlled by the Ingress that asked first. Ingresses
that ask for one secretName with the same hosts and settings share it; otherwise the Certificate keeps
following its controller and the conflict is reported on every Ingress involved and on the Certificate,
so that they never overwrite each other.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .. import conditions, reasons
from .bodies import managed
from .model import DesiredCertificate, ExistingCertificate, IngressRef, IngressRequest


@dataclass(frozen=True)
class Write:
    """Create the Certificate (`existing` is None) or bring it in line with its controlling Ingress."""

    desired: DesiredCertificate
    owner: IngressRef
    existing: ExistingCertificate | None


@dataclass(frozen=True)
class Delete:
    existing: ExistingCertificate


@dataclass(frozen=True)
class Report:
    """Set (a message) or clear (None) the conflict condition of a Certificate; tell the Ingresses."""

    certificate: ExistingCertificate
    message: str | None
    ingresses: tuple[IngressRef, ...]


Action = Write | Delete | Report


def concerns_shim(existing: ExistingCertificate, requests: Iterable[IngressRequest]) -> bool:
    """Whether a Certificate event matters to the shim: made from an Ingress, asked for, or reported on."""
    return (
        existing.owner_uid is not None
        or existing.conflict is not None
        or any(desired.name == existing.name for request in requests for desired in request.certificates)
    )


def plan(requests: Iterable[IngressRequest], certificates: Mapping[str, ExistingCertificate]) -> list[Action]:
    """What to change so that the namespace's Certificates are what its Ingresses ask for."""
    claims: dict[str, list[tuple[IngressRef, DesiredCertificate]]] = {}
    for request in sorted(requests, key=lambda r: (r.ingress.created, r.ingress.name)):
        for desired in request.certificates:
            claims.setdefault(desired.name, []).append((request.ingress, desired))
    names = set(claims) | {n for n, c in certificates.items() if c.owner_uid or c.conflict}
    actions: list[Action] = []
    for name in sorted(names):
        actions.extend(_plan_one(name, claims.get(name, []), certificates.get(name)))
    return actions


def _plan_one(
    name: str, claims: Sequence[tuple[IngressRef, DesiredCertificate]], existing: ExistingCertificate | None
) -> list[Action]:
    if existing is not None and existing.owner_uid is None:
        # Made by hand or by something else: reported, never taken over.
        message = _not_from_ingress_message(name, [ingress for ingress, _ in claims]) if claims else None
        return _report(existing, message, tuple(ingress for ingress, _ in claims))
    if not claims:
        return [Delete(existing)] if existing is not None else []
    owner, desired = next(
        ((i, d) for i, d in claims if existing is not None and i.uid == existing.owner_uid), claims[0]
    )
    actions: list[Action] = []
    if existing is None or existing.owner_uid != owner.uid or not _matches(existing, desired):
        actions.append(Write(desired, owner, existing))
    rivals = tuple(ingress for ingress, wanted in claims if wanted != desired)
    if existing is not None:
        message = _conflict_message(name, owner, rivals) if rivals else None
        actions.extend(_report(existing, message, (owner, *rivals)))
    return actions


def _report(
    existing: ExistingCertificate, message: str | None, ingresses: tuple[IngressRef, ...]
) -> list[Action]:
    return [] if existing.conflict == message else [Report(existing, message, ingresses)]


def _matches(existing: ExistingCertificate, desired: DesiredCertificate) -> bool:
    return managed(desired.spec) == existing.spec and dict(desired.annotations) == dict(existing.annotations)


def _names(ingresses: Iterable[IngressRef]) -> str:
    return ", ".join(repr(ingress.name) for ingress in ingresses)


def _conflict_message(name: str, owner: IngressRef, rivals: Sequence[IngressRef]) -> str:
    return (
        f"Ingresses {_names([owner, *rivals])} ask for Secret {name!r} with different hosts or settings; "
        f"Certificate {name!r} follows Ingress {owner.name!r}, which asked first: "
        "give the other Ingresses another secretName"
    )


def _not_from_ingress_message(name: str, ingresses: Sequence[IngressRef]) -> str:
    return (
        f"Certificate {name!r} was not made from an Ingress, so it does not follow Ingress "
        f"{_names(ingresses)} asking for Secret {name!r}: choose another secretName in the Ingress, "
        "or delete the Certificate"
    )


def conflict_conditions(
    current: Sequence[Mapping[str, Any]] | None, message: str | None, generation: int, now: datetime.datetime
) -> list[dict[str, Any]]:
    """The Certificate's conditions with the conflict condition set (message) or removed (None)."""
    if message is None:
        return conditions.without_condition(current, reasons.INGRESS_CONFLICT)
    return conditions.with_condition(
        current, reasons.INGRESS_CONFLICT, True, reasons.SECRET_NAME_CONFLICT, message, generation, now
    )
