"""Every condition type, condition/Event reason and the text people read for it: one home."""

from __future__ import annotations

# Condition types
READY = "Ready"
ISSUING = "Issuing"
INGRESS_CONFLICT = "IngressConflict"
GATEWAY_CONFLICT = "GatewayConflict"
LISTENER_SET_CONFLICT = "ListenerSetConflict"

# A Certificate in a good state, and its lifecycle Events
UP_TO_DATE = "Ready"
ISSUED = "Issued"
ISSUING_EVENT = "Issuing"
READY_MESSAGE = "the certificate is up to date and has not expired"
ADOPTED = "Adopted"
ADOPTED_MESSAGE = (
    "the certificate cert-manager wrote into the Secret serves the spec: kept without a new order "
    "(cert-manager's annotations stay)"
)

# Why a new certificate is needed (certificates.trigger), with the text shown while issuing
DOES_NOT_EXIST = "DoesNotExist"
MISSING_DATA = "MissingData"
INVALID_KEY_PAIR = "InvalidKeyPair"
SECRET_MISMATCH = "SecretMismatch"
INCORRECT_ISSUER = "IncorrectIssuer"
PRIVATE_KEY_MISMATCH = "PrivateKeyMismatch"
MANUALLY_TRIGGERED = "ManuallyTriggered"
EXPIRED = "Expired"
RENEWING = "Renewing"
RENEWED_OUTSIDE_WINDOW = "RenewedOutsideWindow"  # spec.renewal.windows: none opened before the deadline
ISSUANCE_TEXT = {
    DOES_NOT_EXIST: "the Secret does not exist yet",
    MISSING_DATA: "the Secret lacks a readable certificate or key",
    INVALID_KEY_PAIR: "the Secret's key does not match its certificate",
    SECRET_MISMATCH: "the Secret's certificate does not cover the requested names",
    INCORRECT_ISSUER: "the certificate came from another issuer",
    PRIVATE_KEY_MISMATCH: "the key does not match the privateKey settings",
    MANUALLY_TRIGGERED: "a renewal was requested",
    EXPIRED: "the certificate has expired",
    RENEWING: "the renewal time has come",
    RENEWED_OUTSIDE_WINDOW: (
        "the renewal time has come and no renewal window opened before half the time to expiry had "
        "passed: renewing outside the windows so that the certificate does not expire"
    ),
}
# While these are the reason, the certificate in the Secret is still good to serve.
STILL_SERVING = (RENEWING, MANUALLY_TRIGGERED, RENEWED_OUTSIDE_WINDOW)

# Errors a user or the outside world can cause (see errors.py)
FAILED = "Failed"
INVALID_SPEC = "InvalidSpec"
ISSUER_NOT_FOUND = "IssuerNotFound"
ISSUER_NOT_READY = "IssuerNotReady"
SECRET_NOT_OWNED = "SecretNotOwned"
SECRET_IN_USE = "SecretInUse"  # another Certificate writes the same Secret
SELF_CHECK_FAILED = "SelfCheckFailed"
KEY_MISMATCH = "KeyMismatch"
SOLVER_INGRESS_NOT_FOUND = "SolverIngressNotFound"
KEYSTORE_PASSWORD_UNAVAILABLE = "KeystorePasswordUnavailable"  # its Secret or key is missing or empty

# DNS-01 (dns01/): the DNS server refused or failed, no zone holds the name, the record is not served yet
DNS01_PROVIDER_ERROR = "DNS01ProviderError"
DNS01_ZONE_NOT_FOUND = "DNS01ZoneNotFound"
DNS01_PROPAGATION = "DNS01Propagation"
DNS01_PROPAGATION_PENDING = "DNS01PropagationPending"

# What the CA said (acme.errors turns every failure into one of these)
ACME_RATE_LIMITED = "ACMERateLimited"
ACME_SERVER_UNREACHABLE = "ACMEServerUnreachable"
ACME_SERVER_ERROR = "ACMEServerError"
ACME_BAD_RESPONSE = "ACMEBadResponse"
ACME_ACCOUNT_FAILED = "ACMEAccountFailed"
ACME_ACCOUNT_UNKNOWN = "ACMEAccountUnknown"  # the CA no longer knows the account (its state was reset)
ACME_ORDER_FAILED = "ACMEOrderFailed"
ACME_ORDER_NOT_READY = "ACMEOrderNotReady"
ACME_VALIDATION_FAILED = "ACMEValidationFailed"
ACME_CHALLENGE_UNSUPPORTED = "ACMEChallengeUnsupported"
ACME_TIMEOUT = "ACMETimeout"
ACME_FAILED = "ACMEFailed"

# New orders wait for the account's order quota (issuers/pacing.py)
WAITING_FOR_ORDER_QUOTA = "WaitingForOrderQuota"

# Issuers
ACCOUNT_REGISTERED = "ACMEAccountRegistered"
ACCOUNT_REGISTERED_MESSAGE = "the ACME account is registered"

# The ingress- and gateway-shims: two Ingresses (Gateways) ask for one Secret; or their annotations are wrong
SECRET_NAME_CONFLICT = "SecretNameConflict"
INVALID_INGRESS = "InvalidIngress"
INVALID_GATEWAY = "InvalidGateway"
INVALID_LISTENER_SET = "InvalidListenerSet"

# Reload on renewal: a workload restarted for a renewed certificate in a Secret it mounts
RESTARTED_FOR_RENEWAL = "RestartedForRenewal"

# Copies of the Secret in other namespaces (spec.secretCopies)
COPIES_NOT_ACCEPTED = "CopiesNotAccepted"
COPY_CONFLICT = "CopyConflict"


def copies_not_accepted_message(namespaces: list[str]) -> str:
    return (
        f"namespaces {', '.join(namespaces)} match spec.secretCopies.namespaceSelector but do not accept "
        "copies from this namespace: they get none (label them evercert.dev/accept-copies-from=<namespace>)"
    )


def copy_conflict_message(namespaces: list[str]) -> str:
    return (
        f"namespaces {', '.join(namespaces)} get no copy: they hold a Secret of the same name that is not "
        "a copy of this Certificate's (left as it is), or evercert may not write Secrets there"
    )


def issuing_message(reason: str | None) -> str:
    return f"issuing a certificate: {ISSUANCE_TEXT.get(reason or '', reason)}"
