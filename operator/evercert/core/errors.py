"""The one error hierarchy: each error carries its condition reason, a message that says what to fix,
and how the Certificate loop should treat it (a failed attempt? retry after? transient?)."""

from __future__ import annotations

import datetime

from . import reasons


class EvercertError(Exception):
    """Base of every error that ends up in a status condition and an Event."""

    reason = reasons.FAILED
    # True for failures of an issuance attempt (they count towards the backoff), not of the input.
    failed_attempt = False
    # True when the cause is passing (the CA or network is unwell): an order in flight is kept.
    transient = False

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        retry_after: datetime.datetime | None = None,
        transient: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason
        self.retry_after = retry_after
        if transient is not None:
            self.transient = transient


class InvalidSpec(EvercertError):
    """The object's spec cannot be acted on as written."""

    reason = reasons.INVALID_SPEC


class IssuerNotFound(EvercertError):
    reason = reasons.ISSUER_NOT_FOUND


class IssuerNotReady(EvercertError):
    reason = reasons.ISSUER_NOT_READY


class SecretNotOwned(EvercertError):
    """The target Secret exists but was not made by evercert for this Certificate."""

    reason = reasons.SECRET_NOT_OWNED


class SecretInUse(EvercertError):
    """Another Certificate in the namespace already writes the same Secret."""

    reason = reasons.SECRET_IN_USE


class AttemptFailed(EvercertError):
    """An issuance attempt failed: counts towards the backoff."""

    failed_attempt = True


class SelfCheckFailed(AttemptFailed):
    reason = reasons.SELF_CHECK_FAILED


class IssuedKeyMismatch(AttemptFailed):
    reason = reasons.KEY_MISMATCH


class SolverIngressNotFound(AttemptFailed):
    reason = reasons.SOLVER_INGRESS_NOT_FOUND


class Dns01ProviderError(AttemptFailed):
    """A DNS provider could not put a TXT value in place or take it away (the server's own words)."""

    reason = reasons.DNS01_PROVIDER_ERROR


class Dns01ZoneNotFound(AttemptFailed):
    """No zone (SOA) holds the challenge record's name, or its nameservers cannot be found."""

    reason = reasons.DNS01_ZONE_NOT_FOUND


class Dns01PropagationFailed(AttemptFailed):
    """Not every authoritative nameserver served the TXT value before the issuance deadline."""

    reason = reasons.DNS01_PROPAGATION


class AcmeFailure(AttemptFailed):
    """An ACME exchange failed; `reason` is one of reasons.ACME_*; `names`: the identifiers it is about
    when the CA said (a failed validation names its authorization's identifier)."""

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        retry_after: datetime.datetime | None = None,
        transient: bool = False,
        names: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message, reason=reason, retry_after=retry_after, transient=transient)
        self.names = names


class WaitingForOrderQuota(EvercertError):
    """A new order must wait for the account's order quota; `retry_after` is when a token is expected."""

    reason = reasons.WAITING_FOR_ORDER_QUOTA
