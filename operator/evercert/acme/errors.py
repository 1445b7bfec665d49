"""Every way an ACME exchange can fail, turned into one AcmeFailure with a status-condition reason."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import josepy as jose
import requests
from acme import errors as acme_errors
from acme import messages

from evercert.core import reasons
from evercert.core.errors import AcmeFailure

_ACCOUNT_PROBLEMS = {
    "accountDoesNotExist",
    "externalAccountRequired",
    "invalidContact",
    "unsupportedContact",
    "unauthorized",
    "badPublicKey",
    "badSignatureAlgorithm",
}
_VALIDATION_PROBLEMS = {"caa", "connection", "dns", "dnssec", "incorrectResponse", "tls", "unknownHost"}
_TRANSIENT_PROBLEMS = {"badNonce", "serverInternal"}

# What the response an acme exception came from said (see client.py): the library keeps none of it.
_RESPONSE_INFO = "_evercert_response_info"


@dataclass(frozen=True)
class _ResponseInfo:
    status: int | None = None
    retry_after: datetime | None = None
    problem: messages.Error | None = None


def remember_response(exc: BaseException, response: requests.Response) -> None:
    """Attach the status, Retry-After and problem document of `response` to the exception raised for it."""
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    setattr(exc, _RESPONSE_INFO, _ResponseInfo(response.status_code, retry_after, _problem(response)))


def parse_retry_after(value: str | None, now: datetime | None = None) -> datetime | None:
    """Turn a Retry-After header (seconds or an HTTP date) into an aware UTC time; None if absent or bad."""
    if not value:
        return None
    now = now or datetime.now(UTC)
    if value.strip().isdigit():
        return now + timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def problem_text(error: messages.Error) -> str:
    """The CA's problem type and detail in one line, subproblems appended."""
    text = f"{error.typ}: {error.detail or error.title or error.description or 'no detail'}"
    if error.identifier is not None:
        text = f"{error.identifier.value}: {text}"
    for sub in error.subproblems or ():
        text += f"; {problem_text(sub)}"
    return text


def translate(exc: BaseException, problem_reason: str = reasons.ACME_ORDER_FAILED) -> AcmeFailure:
    """Convert what acme, josepy or requests raise into an AcmeFailure.

    `problem_reason` labels CA problems that name no cause of their own (e.g. malformed)."""
    if isinstance(exc, AcmeFailure):
        return exc
    info: _ResponseInfo = getattr(exc, _RESPONSE_INFO, _ResponseInfo())
    problem = exc if isinstance(exc, messages.Error) else info.problem
    if problem is not None:  # a 409 arrives as ConflictError, its problem document kept aside
        return _from_problem(problem, info.status, info.retry_after, problem_reason)
    if isinstance(exc, requests.exceptions.InvalidJSONError):  # a RequestException, but the server answered
        return AcmeFailure(reasons.ACME_BAD_RESPONSE, f"the ACME server's answer is not JSON: {exc}")
    if isinstance(exc, requests.exceptions.SSLError):
        return AcmeFailure(reasons.ACME_SERVER_UNREACHABLE, f"TLS error talking to the ACME server: {exc}")
    if isinstance(exc, requests.RequestException):
        return AcmeFailure(
            reasons.ACME_SERVER_UNREACHABLE, f"cannot reach the ACME server: {exc}", transient=True
        )
    if isinstance(exc, acme_errors.Error | jose.DeserializationError | KeyError):
        return _from_library_error(exc, info.status, info.retry_after)
    return AcmeFailure(reasons.ACME_FAILED, f"{type(exc).__name__}: {exc}")


@contextlib.contextmanager
def acme_call(problem_reason: str = reasons.ACME_ORDER_FAILED) -> Iterator[None]:
    """Re-raise whatever happens inside as an AcmeFailure (chained, so tracebacks keep the cause)."""
    try:
        yield
    except AcmeFailure:
        raise
    except Exception as exc:
        raise translate(exc, problem_reason) from exc


def _problem(response: requests.Response) -> messages.Error | None:
    try:
        return messages.Error.from_json(response.json()) if not response.ok else None
    except (ValueError, jose.DeserializationError):
        return None


def _from_problem(
    error: messages.Error, status: int | None, retry_after: datetime | None, fallback_reason: str
) -> AcmeFailure:
    code, text = error.code, problem_text(error)
    by_status = _from_status(429 if code == "rateLimited" else status, retry_after, text)
    if by_status:
        return by_status
    if code == "accountDoesNotExist":
        return AcmeFailure(reasons.ACME_ACCOUNT_UNKNOWN, text)
    if code in _ACCOUNT_PROBLEMS:
        return AcmeFailure(reasons.ACME_ACCOUNT_FAILED, text)
    if code in _VALIDATION_PROBLEMS:
        return AcmeFailure(reasons.ACME_VALIDATION_FAILED, text)
    if code in _TRANSIENT_PROBLEMS:
        return AcmeFailure(reasons.ACME_SERVER_ERROR, text, retry_after=retry_after, transient=True)
    return AcmeFailure(fallback_reason, text)


def _from_library_error(exc: Exception, status: int | None, retry_after: datetime | None) -> AcmeFailure:
    if isinstance(exc, acme_errors.TimeoutError):
        return AcmeFailure(reasons.ACME_TIMEOUT, "the ACME server did not finish in time", transient=True)
    if isinstance(exc, acme_errors.ValidationError):
        return AcmeFailure(reasons.ACME_VALIDATION_FAILED, str(exc))
    if isinstance(exc, acme_errors.IssuanceError):
        return AcmeFailure(reasons.ACME_ORDER_FAILED, problem_text(exc.error))
    by_status = _from_status(status, retry_after, f"HTTP {status} from the ACME server")
    if by_status:
        return by_status
    text = f"unexpected answer from the ACME server: {_describe(exc)}"
    return AcmeFailure(reasons.ACME_BAD_RESPONSE, text, transient=isinstance(exc, acme_errors.NonceError))


def _from_status(status: int | None, retry_after: datetime | None, text: str) -> AcmeFailure | None:
    if status == 429:
        return AcmeFailure(reasons.ACME_RATE_LIMITED, text, retry_after=retry_after, transient=True)
    if status is not None and status >= 500:
        return AcmeFailure(reasons.ACME_SERVER_ERROR, text, retry_after=retry_after, transient=True)
    return None


def _describe(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
