"""Errors a user can cause. Each carries the status-condition reason and a message that says what to fix."""


class EvercertError(Exception):
    """Base of every error that ends up in a status condition and an Event."""

    reason = "Failed"
    # True for failures of an issuance attempt (they count towards the backoff), not of the input.
    failed_attempt = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidSpec(EvercertError):
    """The object's spec cannot be acted on as written."""

    reason = "InvalidSpec"


class IssuerNotFound(EvercertError):
    reason = "IssuerNotFound"


class IssuerNotReady(EvercertError):
    reason = "IssuerNotReady"


class SecretNotOwned(EvercertError):
    """The target Secret exists but was not made by evercert for this Certificate."""

    reason = "SecretNotOwned"


class SecretNameConflict(EvercertError):
    """Another Certificate in the namespace already writes the same Secret."""

    reason = "SecretNameConflict"
