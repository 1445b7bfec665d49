"""What one pass has found out about a Certificate so far: the facts `decide` reads (decide.py).

The loop gathers them (gather.py); a new fact is a new field with a default."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..api.certificate import CertificateSpec, IssuerRef
from ..api.issuer import IssuerSpec
from ..core.errors import EvercertError
from .outputs import Passwords
from .status import CertificateStatus, RenewalInfo
from .tls_secret import SecretContents


@dataclass(frozen=True)
class IssuerState:
    """One of the spec's issuers as the pass found it: usable (spec and account), or why not."""

    issuer: IssuerSpec | None = None
    account_uri: str | None = None
    error: EvercertError | None = None
    # The failed-validation hold of the Certificate's names under this account (None: none).
    held_until: datetime.datetime | None = None


@dataclass(frozen=True)
class SecretRead:
    """The tls Secret as read from the API (not the watch's copy): None when there is none."""

    body: Mapping[str, Any] | None
    contents: SecretContents | None
    # cert-manager wrote it for a Certificate of this name and evercert has not marked it yet: adopted
    # (no new order) while it serves the spec.
    adoptable: bool = False

    @property
    def resource_version(self) -> str | None:
        return ((self.body or {}).get("metadata") or {}).get("resourceVersion")


@dataclass(frozen=True)
class QuotaAnswer:
    """The account's order quota for a new order: None, it may be made now; else when."""

    until: datetime.datetime | None


@dataclass(frozen=True)
class Facts:
    status: CertificateStatus
    spec: CertificateSpec | None = None  # None: the spec is invalid, `spec_error` says why
    spec_error: EvercertError | None = None
    generation: int = 0
    served: SecretContents | None = None  # the watch's copy of the tls Secret
    renew_request: str | None = None  # `evercert renew` not acted on yet
    created: datetime.datetime | None = None  # first come, first served for new orders
    issuers: Mapping[IssuerRef, IssuerState] = field(default_factory=dict)
    windows: Mapping[str, RenewalInfo] = field(default_factory=dict)  # the CA's, asked this pass, by serial
    secret: SecretRead | None = None  # None: not read yet
    quota: QuotaAnswer | None = None  # None: not asked yet
    # The keystores' passwords; None: not read yet (asked only when one is kept in a Secret).
    passwords: Passwords | None = None
    password_error: EvercertError | None = None  # a password Secret missing or empty
