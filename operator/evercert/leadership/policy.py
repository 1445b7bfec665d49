"""When a Lease is free, mine, or may be taken, and when its holder must stop: client-go's rules, pure.

Expiry is judged on each member's own clock (client-go's rule): a Lease version expires a full lease
duration after this member first saw it, never by comparing another machine's `renewTime` with ours,
so clock skew between nodes cannot make two members hold one Lease.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, replace
from typing import Any

# What client-go's leader election uses by default (kube-controller-manager, most operators).
LEASE_DURATION = 15.0
RENEW_DEADLINE = 10.0
RETRY_PERIOD = 2.0
# A released Lease: no holder, and the shortest duration the API accepts.
RELEASED_DURATION_SECONDS = 1


@dataclass(frozen=True)
class Timing:
    lease_duration: float = LEASE_DURATION
    renew_deadline: float = RENEW_DEADLINE
    retry_period: float = RETRY_PERIOD

    def __post_init__(self) -> None:
        # The holder stops at its renew deadline; others wait the whole duration from a later instant.
        if not 0 < self.retry_period < self.renew_deadline < self.lease_duration:
            raise ValueError(f"need 0 < retry period < renew deadline < lease duration, got {self}")

    @property
    def duration_seconds(self) -> int:
        """leaseDurationSeconds (an integer in the API): never shorter than the duration we plan with."""
        return math.ceil(self.lease_duration)


@dataclass(frozen=True)
class LeaseSpec:
    """A Lease's spec; `holder` is "" when nobody holds it."""

    holder: str
    duration_seconds: int
    acquire_time: datetime.datetime | None = None
    renew_time: datetime.datetime | None = None
    transitions: int = 0


@dataclass(frozen=True)
class Lease:
    """A Lease as read: its name, version and spec."""

    name: str
    resource_version: str
    spec: LeaseSpec
    labels: dict[str, str]


def is_free(spec: LeaseSpec) -> bool:
    return not spec.holder


def expires_at(spec: LeaseSpec, seen_at: datetime.datetime) -> datetime.datetime:
    """When others may take it: a full duration after this version was first seen (on the seer's clock)."""
    return seen_at + datetime.timedelta(seconds=spec.duration_seconds)


def is_expired(spec: LeaseSpec, seen_at: datetime.datetime, now: datetime.datetime) -> bool:
    return now >= expires_at(spec, seen_at)


def is_held_by_other(spec: LeaseSpec, me: str, seen_at: datetime.datetime, now: datetime.datetime) -> bool:
    """Someone else holds it and it has not expired: a live holder, not ours to take."""
    return not is_free(spec) and spec.holder != me and not is_expired(spec, seen_at, now)


def may_take(spec: LeaseSpec | None, me: str, seen_at: datetime.datetime, now: datetime.datetime) -> bool:
    """Missing, released, already mine, or expired."""
    return spec is None or not is_held_by_other(spec, me, seen_at, now)


def acquired(spec: LeaseSpec | None, me: str, now: datetime.datetime, timing: Timing) -> LeaseSpec:
    """The spec that makes `me` the holder; a change of holder counts as a transition."""
    if spec is not None and spec.holder == me:
        return renewed(spec, now, timing)
    return LeaseSpec(
        holder=me,
        duration_seconds=timing.duration_seconds,
        acquire_time=now,
        renew_time=now,
        transitions=(spec.transitions + 1) if spec is not None else 0,
    )


def renewed(spec: LeaseSpec, now: datetime.datetime, timing: Timing) -> LeaseSpec:
    return replace(spec, duration_seconds=timing.duration_seconds, renew_time=now)


def stale(spec: LeaseSpec, now: datetime.datetime) -> bool:
    """Not renewed for two durations by its holder's clock (for counting members, never for taking)."""
    if spec.renew_time is None:
        return False
    return now > spec.renew_time + 2 * datetime.timedelta(seconds=spec.duration_seconds)


def released(spec: LeaseSpec, now: datetime.datetime) -> LeaseSpec:
    """No holder and the shortest duration: a standby takes it on its next look (client-go does the same)."""
    return replace(spec, holder="", duration_seconds=RELEASED_DURATION_SECONDS, renew_time=now)


def holding_until(renewed_at: datetime.datetime, timing: Timing) -> datetime.datetime:
    """The holder's own deadline: `renewed_at` is its clock just BEFORE it sent the renewal.

    Any other member saw that renewal after it was sent, and waits a whole lease duration (longer
    than the renew deadline) from then: the holder stops first.
    """
    return renewed_at + datetime.timedelta(seconds=timing.renew_deadline)


def still_holds(renewed_at: datetime.datetime, now: datetime.datetime, timing: Timing) -> bool:
    return now < holding_until(renewed_at, timing)


def hand_over_grace(timing: Timing) -> float:
    """Seconds that work stopped at the renew deadline may still take to finish a write it began (an
    ACME order made must reach the status): half the margin before another member may take the Lease."""
    return (timing.lease_duration - timing.renew_deadline) / 2


def micro_time(moment: datetime.datetime) -> str:
    """The API's MicroTime: RFC 3339 in UTC with exactly six fraction digits."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _moment(value: Any) -> datetime.datetime | None:
    if value is None or isinstance(value, datetime.datetime):
        return value
    return datetime.datetime.fromisoformat(str(value))


def parse_lease(obj: dict[str, Any]) -> Lease:
    """A Lease from the API's dict form (camelCase keys)."""
    metadata, spec = obj.get("metadata") or {}, obj.get("spec") or {}
    return Lease(
        name=metadata["name"],
        resource_version=str(metadata.get("resourceVersion") or ""),
        labels=dict(metadata.get("labels") or {}),
        spec=LeaseSpec(
            holder=spec.get("holderIdentity") or "",
            duration_seconds=int(spec.get("leaseDurationSeconds") or RELEASED_DURATION_SECONDS),
            acquire_time=_moment(spec.get("acquireTime")),
            renew_time=_moment(spec.get("renewTime")),
            transitions=int(spec.get("leaseTransitions") or 0),
        ),
    )


def lease_body(
    name: str, spec: LeaseSpec, labels: dict[str, str], resource_version: str | None = None
) -> dict[str, Any]:
    """The Lease to write; with a resourceVersion a replace fails (409) if anyone wrote it meanwhile."""
    metadata: dict[str, Any] = {"name": name, "labels": labels}
    if resource_version:
        metadata["resourceVersion"] = resource_version
    body_spec: dict[str, Any] = {
        "holderIdentity": spec.holder,
        "leaseDurationSeconds": spec.duration_seconds,
        "leaseTransitions": spec.transitions,
    }
    for key, moment in (("acquireTime", spec.acquire_time), ("renewTime", spec.renew_time)):
        if moment is not None:
            body_spec[key] = micro_time(moment)
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": metadata, "spec": body_spec}
