"""The steps `decide` answers with (decide.py): a question sends the loop to gather a fact, the
others end the pass (loop.py carries them out)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from ..api.certificate import IssuerRef
from ..api.issuer import IssuerSpec
from ..core.errors import EvercertError
from .facts import SecretRead
from .look import Look
from .outputs import NO_PASSWORDS, Passwords
from .tls_secret import SecretContents


# Steps that ask for a fact: the loop gathers it and decides again.
@dataclass(frozen=True)
class AskRenewalInfo:
    ref: IssuerRef
    served: SecretContents


@dataclass(frozen=True)
class ReadSecret:
    pass


@dataclass(frozen=True)
class ReadPasswords:
    """The keystores' passwords kept in Secrets: read at each pass (a change asks for one)."""


@dataclass(frozen=True)
class AskQuota:
    look: Look
    ref: IssuerRef


# Steps that end the pass.
@dataclass(frozen=True)
class Fail:
    """The error goes to status (transitions.failed); `look` and `ref` when an attempt was meant."""

    error: EvercertError
    look: Look | None = None
    ref: IssuerRef | None = None


@dataclass(frozen=True)
class Serve:
    """A good certificate is served: clean what an attempt left, write the Secret again when its
    outputs (formats, keystores, passwords) are not what the spec asks, bring status in line (report
    it as issued when its order finished just before a crash)."""

    look: Look
    remove_leftovers: bool = False
    issued_before_crash: bool = False
    rewrite_outputs: bool = False
    passwords: Passwords = NO_PASSWORDS
    adopt: IssuerRef | None = None  # mark cert-manager's Secret as evercert's, issued by this issuer


@dataclass(frozen=True)
class Wait:
    """Nothing to write: look again at `until` (the retry schedule's next attempt)."""

    until: datetime.datetime | None


@dataclass(frozen=True)
class Hold:
    """A name failed validation too often in the last hour: no attempt before `until`."""

    until: datetime.datetime


@dataclass(frozen=True)
class WaitForQuota:
    look: Look
    until: datetime.datetime
    issuer: IssuerSpec


@dataclass(frozen=True)
class Issue:
    look: Look
    ref: IssuerRef
    secret: SecretRead
    replaces: str | None = None  # the ARI ID of the certificate replaced (same CA only)
    passwords: Passwords = NO_PASSWORDS


Question = AskRenewalInfo | ReadSecret | ReadPasswords | AskQuota
Step = Question | Fail | Serve | Wait | Hold | WaitForQuota | Issue
