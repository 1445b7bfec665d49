"""The plan, pure: what to change so that a namespace's Certificates are what its Ingresses (or, for
the gateway-shim, its Gateways) ask for.

A Certificate is named after its Secret and controlled by the object that asked first. Objects that
ask for one Secret with the same hosts and settings share it; otherwise the Certificate keeps
following its controller and the conflict is reported on every object involved and on the Certificate,
so that they never overwrite each other.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .. import conditions
from ..core import reasons
from .bodies import managed
from .model import INGRESS, DesiredCertificate, ExistingCertificate, OwnerRef, ShimRequest, Source


@dataclass(frozen=True)
class Write:
    """Create the Certificate (`existing` is None) or bring it in line with its controlling object."""

    desired: DesiredCertificate
    owner: OwnerRef
    existing: ExistingCertificate | None


@dataclass(frozen=True)
class Delete:
    existing: ExistingCertificate


@dataclass(frozen=True)
class Report:
    """Set (a message) or clear (None) the conflict condition of a Certificate; tell the objects involved."""

    certificate: ExistingCertificate
    message: str | None
    owners: tuple[OwnerRef, ...]


Action = Write | Delete | Report


def concerns_shim(existing: ExistingCertificate, requests: Iterable[ShimRequest]) -> bool:
    """Whether a Certificate event matters to the shim: made by it, asked for, or reported on."""
    return (
        existing.owner_uid is not None
        or existing.conflict is not None
        or any(desired.name == existing.name for request in requests for desired in request.certificates)
    )


def plan(
    requests: Iterable[ShimRequest], certificates: Mapping[str, ExistingCertificate], source: Source = INGRESS
) -> list[Action]:
    """What to change so that the namespace's Certificates are what its objects of `source` ask for."""
    claims: dict[str, list[tuple[OwnerRef, DesiredCertificate]]] = {}
    for request in sorted(requests, key=lambda r: (r.owner.created, r.owner.name)):
        for desired in request.certificates:
            claims.setdefault(desired.name, []).append((request.owner, desired))
    names = set(claims) | {n for n, c in certificates.items() if c.owner_uid or c.conflict}
    actions: list[Action] = []
    for name in sorted(names):
        actions.extend(_plan_one(name, claims.get(name, []), certificates.get(name), source))
    return actions


def _plan_one(
    name: str,
    claims: Sequence[tuple[OwnerRef, DesiredCertificate]],
    existing: ExistingCertificate | None,
    source: Source,
) -> list[Action]:
    if existing is not None and existing.owner_uid is None:
        # Made by hand or by something else: reported, never taken over.
        message = _not_made_here_message(name, [owner for owner, _ in claims], source) if claims else None
        return _report(existing, message, tuple(owner for owner, _ in claims))
    if not claims:
        return [Delete(existing)] if existing is not None else []
    owner, desired = next(
        ((i, d) for i, d in claims if existing is not None and i.uid == existing.owner_uid), claims[0]
    )
    actions: list[Action] = []
    if existing is None or existing.owner_uid != owner.uid or not _matches(existing, desired):
        actions.append(Write(desired, owner, existing))
    rivals = tuple(other for other, wanted in claims if wanted != desired)
    if existing is not None:
        message = _conflict_message(name, owner, rivals, source) if rivals else None
        actions.extend(_report(existing, message, (owner, *rivals)))
    return actions


def _report(existing: ExistingCertificate, message: str | None, owners: tuple[OwnerRef, ...]) -> list[Action]:
    return [] if existing.conflict == message else [Report(existing, message, owners)]


def _matches(existing: ExistingCertificate, desired: DesiredCertificate) -> bool:
    return managed(desired.spec) == existing.spec and dict(desired.annotations) == dict(existing.annotations)


def _names(owners: Iterable[OwnerRef]) -> str:
    return ", ".join(repr(owner.name) for owner in owners)


def _conflict_message(name: str, owner: OwnerRef, rivals: Sequence[OwnerRef], source: Source) -> str:
    kind = source.kind
    return (
        f"{kind}s {_names([owner, *rivals])} ask for Secret {name!r} with different hosts or settings; "
        f"Certificate {name!r} follows {source.kind} {owner.name!r}, which asked first: "
        f"give the other {source.kind}s another {source.secret_field}"
    )


def _not_made_here_message(name: str, owners: Sequence[OwnerRef], source: Source) -> str:
    kind = source.kind
    return (
        f"Certificate {name!r} was not made from {_article(kind)} {kind}, so it does not follow "
        f"{kind} {_names(owners)} asking for Secret {name!r}: choose another {source.secret_field} "
        f"in the {source.kind}, or delete the Certificate"
    )


def _article(word: str) -> str:
    return "an" if word[0] in "AEIOU" else "a"


def conflict_conditions(
    current: Sequence[Mapping[str, Any]] | None,
    message: str | None,
    generation: int,
    now: datetime.datetime,
    source: Source = INGRESS,
) -> list[dict[str, Any]]:
    """The Certificate's conditions with the source's conflict condition set (message) or removed (None)."""
    kind = source.conflict_condition
    if message is None:
        return conditions.without_condition(current, kind)
    return conditions.with_condition(
        current, kind, True, reasons.SECRET_NAME_CONFLICT, message, generation, now
    )
