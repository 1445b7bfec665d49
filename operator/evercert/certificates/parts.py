"""What a pass over a Certificate uses from the operator's shared parts, and nothing more."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..acme.threads import Blocking
from ..core.clock import Clock
from ..core.retry import RetryPolicy
from ..events import EventRecorder
from ..issuers.failed_validations import FailedValidations
from ..issuers.pacing import OrderPacer
from ..issuers.session import AccountAccess
from ..kube.client import Kube
from ..scheduling import IssuanceSlots
from ..settings import Settings
from .own_writes import OwnWrites


@dataclass(frozen=True)
class IssuanceParts:
    """What an issuance uses besides its ACME session (`own_writes`: the DNS-01 values it records in
    status)."""

    kube: Kube
    clock: Clock
    blocking: Blocking
    settings: Settings
    own_writes: OwnWrites


@dataclass(frozen=True)
class PassParts:
    kube: Kube
    clock: Clock
    events: EventRecorder
    own_writes: OwnWrites
    slots: IssuanceSlots  # issuances at once
    pacing: OrderPacer  # per-account order quotas
    failed_validations: FailedValidations
    retry: RetryPolicy
    settings: Settings
    accounts: AccountAccess
    # How long a look stopped mid-write (its shard lost) may still finish recording an order.
    write_grace: Callable[[], float]

    @property
    def blocking(self) -> Blocking:
        return self.accounts.blocking

    @property
    def issuance(self) -> IssuanceParts:
        return IssuanceParts(self.kube, self.clock, self.blocking, self.settings, self.own_writes)
