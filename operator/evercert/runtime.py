"""What every part of the operator shares: the API client, settings, the clock, the Event recorder,
the ACME thread pool, the Certificates and tls Secrets the watches keep, and the scheduler that looks
at them."""

from __future__ import annotations

import concurrent.futures
from dataclasses import dataclass, field

from .acme.threads import Blocking, in_pool
from .certificates.own_writes import OwnWrites
from .certificates.parts import PassParts
from .certificates.secret_store import SecretStore
from .certificates.store import CertificateStore, Key
from .core.clock import Clock, SystemClock
from .core.retry import RetryPolicy
from .events import EventRecorder, KopfEvents
from .heap import HeapTrimmer
from .issuers.failed_validations import FailedValidations
from .issuers.lookup import Indexes
from .issuers.pacing import OrderPacer
from .issuers.session import AccountAccess, AccountRegistry
from .kube.client import Kube
from .leadership.serving import Serving
from .scheduling import IssuanceSlots, Scheduler
from .settings import Settings


@dataclass
class Runtime:
    kube: Kube
    settings: Settings
    executor: concurrent.futures.ThreadPoolExecutor
    clock: Clock = field(default_factory=SystemClock)
    events: EventRecorder = field(default_factory=KopfEvents)
    certificates: CertificateStore = field(default_factory=CertificateStore)
    secrets: SecretStore = field(default_factory=SecretStore)
    indexes: Indexes = field(default_factory=Indexes)
    own_writes: OwnWrites = field(default_factory=OwnWrites)
    # Made at start-up (its work function needs this Runtime); one look per Certificate at a time.
    scheduler: Scheduler[Key] | None = None
    slots: IssuanceSlots = field(default_factory=lambda: IssuanceSlots(32))
    serving: Serving = field(default_factory=Serving)
    accounts: AccountRegistry = field(default_factory=AccountRegistry)
    failed_validations: FailedValidations = field(default_factory=FailedValidations)
    heap: HeapTrimmer = field(default_factory=HeapTrimmer.for_this_platform)
    pacing: OrderPacer = field(init=False)

    def __post_init__(self) -> None:
        self.pacing = OrderPacer(self.clock)  # per-account order quotas, on the runtime's clock

    @property
    def retry(self) -> RetryPolicy:
        return RetryPolicy(first=self.settings.first_backoff)

    @property
    def blocking(self) -> Blocking:
        """Runs a blocking call (the acme library) in the ACME thread pool, off the event loop."""
        return in_pool(self.executor)

    @property
    def account_access(self) -> AccountAccess:
        return AccountAccess(
            self.kube, self.blocking, self.events, self.accounts, self.settings.cluster_resource_namespace
        )

    @property
    def passes(self) -> PassParts:
        """What a pass over a Certificate uses (certificates/loop.py)."""
        return PassParts(
            kube=self.kube,
            clock=self.clock,
            events=self.events,
            own_writes=self.own_writes,
            slots=self.slots,
            pacing=self.pacing,
            failed_validations=self.failed_validations,
            retry=self.retry,
            settings=self.settings,
            accounts=self.account_access,
            write_grace=lambda: self.serving.write_grace(),
        )

    def start(self) -> None:
        """Start the scheduler and the Leases, once, from an event handler: their tasks then run in
        kopf's context, where Events can be posted."""
        if self.scheduler is not None:
            self.scheduler.start()
        self.serving.start()

    def look_again(self, key: Key) -> None:
        """A change: look at this Certificate now (once more after a look in progress)."""
        self.start()
        if self.scheduler is not None:
            self.scheduler.changed(key)

    def look_at_all(self) -> None:
        for key in self.certificates:
            self.look_again(key)
