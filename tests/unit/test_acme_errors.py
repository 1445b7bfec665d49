"""How ACME, josepy and requests failures become AcmeFailure reasons, messages and retry times."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
import requests
from acme import errors as acme_errors
from acme import messages

from evercert.acme.client import BAD_NONCE_ATTEMPTS, Network
from evercert.acme.errors import acme_call, parse_retry_after, translate
from evercert.acme.keys import generate_account_key, jwk_from_pem
from evercert.core.errors import AcmeFailure

PROBLEM = "urn:ietf:params:acme:error:"


def _response(status: int, body: dict[str, Any] | None = None, **headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode() if body is not None else b"<html>busy</html>"
    response.headers.update({k.replace("_", "-"): v for k, v in headers.items()})
    if body is not None:
        response.headers["Content-Type"] = "application/problem+json"
    return response


def _failure_for(response: requests.Response) -> AcmeFailure:
    """Run the response through the network's checks, as every request does, and translate the error."""
    with pytest.raises(acme_errors.Error) as caught:
        Network._check_response(response)
    return translate(caught.value)


def test_rate_limit_with_retry_after_seconds_is_transient_and_says_when():
    problem = {"type": PROBLEM + "rateLimited", "detail": "too many certificates (5) for this exact set"}
    before = datetime.now(UTC)

    failure = _failure_for(_response(429, problem, Retry_After="120"))

    assert failure.reason == "ACMERateLimited"
    assert failure.transient
    assert "rateLimited" in failure.message and "too many certificates" in failure.message
    assert failure.retry_after is not None
    assert (
        before + timedelta(seconds=119) <= failure.retry_after <= datetime.now(UTC) + timedelta(seconds=121)
    )


def test_rate_limit_retry_after_may_be_an_http_date():
    when = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    problem = {"type": PROBLEM + "rateLimited", "detail": "slow down"}

    failure = _failure_for(_response(429, problem, Retry_After=format_datetime(when, usegmt=True)))

    assert failure.retry_after == when


def test_service_unavailable_without_a_problem_document_is_a_transient_server_error():
    failure = _failure_for(_response(503, None, Retry_After="30"))

    assert failure.reason == "ACMEServerError"
    assert failure.transient
    assert "503" in failure.message
    assert failure.retry_after is not None


def test_connection_refused_means_the_server_is_unreachable():
    error = requests.exceptions.ConnectionError("[Errno 111] Connection refused")

    failure = translate(error)

    assert failure.reason == "ACMEServerUnreachable"
    assert failure.transient
    assert "Connection refused" in failure.message
    assert failure.retry_after is None


def test_problem_document_gives_type_identifier_and_detail():
    error = messages.Error.from_json(
        {
            "type": PROBLEM + "rejectedIdentifier",
            "detail": "policy forbids issuing for name",
            "identifier": {"type": "dns", "value": "blocked-domain.example"},
        }
    )

    failure = translate(error)

    assert failure.reason == "ACMEOrderFailed"
    assert not failure.transient
    assert PROBLEM + "rejectedIdentifier" in failure.message
    assert "blocked-domain.example" in failure.message
    assert "policy forbids issuing for name" in failure.message


def test_account_problems_are_account_failures():
    failure = translate(messages.Error.with_code("externalAccountRequired", detail="EAB needed"))

    assert failure.reason == "ACMEAccountFailed"
    assert "EAB needed" in failure.message


def test_an_account_the_ca_does_not_know_is_told_apart():
    # the CA's state was reset: evercert registers the key again instead of failing until a spec change
    failure = translate(messages.Error.with_code("accountDoesNotExist", detail="Account x not found."))

    assert failure.reason == "ACMEAccountUnknown"
    assert not failure.transient
    assert "Account x not found." in failure.message


def test_validation_problems_are_validation_failures():
    failure = translate(messages.Error.with_code("connection", detail="127.0.0.1: Connection refused"))

    assert failure.reason == "ACMEValidationFailed"
    assert "Connection refused" in failure.message


def test_a_directory_without_the_expected_fields_is_a_bad_response():
    failure = translate(KeyError('Directory field "newOrder" not found'))

    assert failure.reason == "ACMEBadResponse"
    assert "newOrder" in failure.message


def test_an_answer_that_is_not_json_is_a_bad_response_not_an_unreachable_server():
    failure = translate(requests.exceptions.JSONDecodeError("Expecting value", "-----BEGIN", 0))

    assert failure.reason == "ACMEBadResponse"
    assert not failure.transient


def test_acme_call_reraises_anything_as_acme_failure_with_the_cause_kept():
    error = requests.exceptions.Timeout("read timed out")

    with pytest.raises(AcmeFailure) as caught, acme_call():
        raise error

    assert caught.value.reason == "ACMEServerUnreachable"
    assert caught.value.__cause__ is error


def test_a_broken_account_key_is_reported_without_quoting_it():
    secret = b"-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXNlY3JldC1zZWNyZXQ=\n-----END PRIVATE KEY-----\n"

    with pytest.raises(AcmeFailure) as caught:
        jwk_from_pem(secret)

    assert caught.value.reason == "ACMEAccountFailed"
    assert "c2VjcmV0" not in caught.value.message


@pytest.mark.parametrize("header", [None, "", "soon", "-5"])
def test_unusable_retry_after_headers_are_ignored(header):
    assert parse_retry_after(header) is None


def _network_rejecting(monkeypatch: pytest.MonkeyPatch, codes: list[str]) -> tuple[Network, list[int]]:
    """A network whose first sends are answered with these problem codes, then with success."""
    network = Network("https://ca.example/dir", key=jwk_from_pem(generate_account_key()))
    sent: list[int] = []

    def post_once(*args: Any, **kwargs: Any) -> requests.Response:
        sent.append(1)
        if len(sent) <= len(codes):
            raise messages.Error.with_code(codes[len(sent) - 1])
        return _response(200, {})

    monkeypatch.setattr(network, "_post_once", post_once)
    return network, sent


def test_rejected_nonces_are_retried_until_the_ca_takes_one(monkeypatch: pytest.MonkeyPatch):
    network, sent = _network_rejecting(monkeypatch, ["badNonce"] * 5)

    assert network.post("https://ca.example/new-order", None).status_code == 200
    assert len(sent) == 6


def test_a_ca_that_rejects_every_nonce_ends_the_attempt(monkeypatch: pytest.MonkeyPatch):
    network, sent = _network_rejecting(monkeypatch, ["badNonce"] * 100)

    with pytest.raises(messages.Error):
        network.post("https://ca.example/new-order", None)
    assert len(sent) == BAD_NONCE_ATTEMPTS


def test_other_problems_are_not_retried(monkeypatch: pytest.MonkeyPatch):
    network, sent = _network_rejecting(monkeypatch, ["malformed"])

    with pytest.raises(messages.Error):
        network.post("https://ca.example/new-order", None)
    assert len(sent) == 1
