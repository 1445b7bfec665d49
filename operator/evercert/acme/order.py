"""One ACME order: create or resume it, list its pending authorizations and the HTTP-01 or DNS-01 work
for each, wait for validation, finalize, download."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import josepy as jose
import requests
from acme import challenges, crypto_util, messages
from acme import client as acme_client
from cryptography import x509

from evercert.acme.chain import download_chain
from evercert.acme.client import post, post_as_get
from evercert.acme.errors import acme_call, parse_retry_after, problem_text
from evercert.core import reasons
from evercert.core.clock import Clock, SystemClock
from evercert.core.errors import AcmeFailure


@dataclass(frozen=True)
class Pause:
    """How a poll tells the time and waits (these calls run in the ACME thread pool, so waiting blocks)."""

    clock: Clock
    sleep: Callable[[float], None]


SYSTEM_PAUSE = Pause(SystemClock(), time.sleep)
FIRST_POLL_DELAY = 0.2
POLL_DELAY_GROWTH = 1.5
MAX_POLL_DELAY = 3.0

_UNSETTLED = (messages.STATUS_PENDING, messages.STATUS_PROCESSING)

T = TypeVar("T")


@dataclass(frozen=True)
class Http01Task:
    """One HTTP-01 challenge: /.well-known/acme-challenge/<token> on dns_name answers key_authorization."""

    dns_name: str
    token: str
    key_authorization: str
    authorization_url: str
    challenge_url: str


@dataclass(frozen=True)
class Dns01Task:
    """One DNS-01 challenge: the TXT record _acme-challenge.<dns_name> must hold `value`."""

    dns_name: str  # without "*." (a wildcard's authorization is for the name below it)
    wildcard: bool
    key_authorization: str
    value: str
    authorization_url: str
    challenge_url: str


ChallengeTask = Http01Task | Dns01Task


@dataclass(frozen=True)
class PendingAuthorization:
    """An authorization still to validate and the challenges the CA offers for it, by type."""

    url: str
    dns_name: str
    wildcard: bool
    challenges: dict[str, messages.ChallengeBody]

    @property
    def name(self) -> str:
        """The name as the Certificate lists it: `*.` before a wildcard's."""
        return f"*.{self.dns_name}" if self.wildcard else self.dns_name


@dataclass(frozen=True)
class OrderSnapshot:
    """What we know of an order, small enough to keep in the Certificate's status."""

    url: str
    status: str
    authorization_urls: tuple[str, ...]
    finalize_url: str
    certificate_url: str | None = None
    error: str | None = None


class NewOrder(messages.NewOrder):
    """newOrder with RFC 9773's `replaces`: the ARI certificate ID of the certificate being renewed."""

    replaces: str | None = jose.field("replaces", omitempty=True)


@acme_call()
def create_order(
    client: acme_client.ClientV2, csr_pem: bytes, profile: str | None = None, replaces: str | None = None
) -> OrderSnapshot:
    """Place a new order for the CSR's names, optionally with an ACME profile and an ARI `replaces`."""
    request = NewOrder(identifiers=_identifiers(csr_pem), profile=profile, replaces=replaces)
    response = post(client, client.directory["newOrder"], request)
    return _snapshot(response.headers["Location"], messages.Order.from_json(response.json()))


@acme_call()
def load_order(client: acme_client.ClientV2, url: str) -> OrderSnapshot:
    """The order's current state (to resume after a restart)."""
    return _snapshot(url, _fetch_order(client, url)[0])


@acme_call()
def pending_authorizations(client: acme_client.ClientV2, order: OrderSnapshot) -> list[PendingAuthorization]:
    """The authorizations still to validate; those already valid need nothing."""
    pending = []
    for url in order.authorization_urls:
        authz = _fetch_authorization(client, url)[0]
        if authz.status == messages.STATUS_VALID:
            continue
        if authz.status != messages.STATUS_PENDING:
            raise _authorization_failure(authz)
        offered = {str(c.chall.typ): c for c in authz.challenges if hasattr(c.chall, "typ")}
        pending.append(PendingAuthorization(url, authz.identifier.value, bool(authz.wildcard), offered))
    return pending


def challenge_task(
    client: acme_client.ClientV2, authz: PendingAuthorization, challenge_type: str
) -> ChallengeTask:
    """The work for `authz` over `challenge_type` (http-01 or dns-01), with this account's key."""
    challb = authz.challenges.get(challenge_type)
    if challb is None:
        offered = ", ".join(authz.challenges) or "none"
        raise AcmeFailure(
            reasons.ACME_CHALLENGE_UNSUPPORTED,
            f"{authz.name}: no {challenge_type} challenge offered (only: {offered})",
        )
    key_authorization = challb.chall.key_authorization(client.net.key)
    if isinstance(challb.chall, challenges.DNS01):
        return Dns01Task(
            dns_name=authz.dns_name,
            wildcard=authz.wildcard,
            key_authorization=key_authorization,
            value=challb.chall.validation(client.net.key),
            authorization_url=authz.url,
            challenge_url=challb.uri,
        )
    return Http01Task(
        dns_name=authz.dns_name,
        token=challb.chall.encode("token"),
        key_authorization=key_authorization,
        authorization_url=authz.url,
        challenge_url=challb.uri,
    )


@acme_call()
def answer_challenge(client: acme_client.ClientV2, task: ChallengeTask) -> None:
    """Tell the CA to validate now; a challenge already processing or valid is fine."""
    response: challenges.ChallengeResponse = (
        challenges.DNS01Response(key_authorization=task.key_authorization)
        if isinstance(task, Dns01Task)
        else challenges.HTTP01Response(key_authorization=task.key_authorization)
    )
    try:
        post(client, task.challenge_url, response)
    except messages.Error:
        challenge = messages.ChallengeBody.from_json(post_as_get(client, task.challenge_url).json())
        if challenge.status not in (messages.STATUS_PROCESSING, messages.STATUS_VALID):
            raise


@acme_call()
def wait_for_authorizations(
    client: acme_client.ClientV2, order: OrderSnapshot, deadline: datetime, pause: Pause = SYSTEM_PAUSE
) -> None:
    """Poll every authorization until it is valid; AcmeFailure when one fails or time runs out."""
    for url in order.authorization_urls:
        fetch = functools.partial(_fetch_authorization, client, url)
        authz = _poll(
            fetch, lambda authz: authz.status not in _UNSETTLED, deadline, f"authorization {url}", pause
        )
        if authz.status != messages.STATUS_VALID:
            raise _authorization_failure(authz)


@acme_call()
def finalize_order(
    client: acme_client.ClientV2,
    order: OrderSnapshot,
    csr_pem: bytes,
    deadline: datetime,
    preferred_chain: str | None = None,
    pause: Pause = SYSTEM_PAUSE,
) -> str:
    """Finalize (unless done already), wait for issuance, and return the full chain PEM."""
    advance = functools.partial(_advance_order, client, order.url, csr_pem)
    body = _poll(advance, _order_settled, deadline, f"order {order.url}", pause)
    if body.status != messages.STATUS_VALID:
        detail = problem_text(body.error) if body.error else "no reason given"
        raise AcmeFailure(reasons.ACME_ORDER_FAILED, f"order {order.url} is {body.status.name}: {detail}")
    return download_chain(client, body.certificate, preferred_chain)


def _identifiers(csr_pem: bytes) -> tuple[messages.Identifier, ...]:
    csr = x509.load_pem_x509_csr(csr_pem)
    dns_names, ip_addresses = crypto_util.get_identifiers_from_x509(csr.subject, csr.extensions)
    return tuple(messages.Identifier(typ=messages.IDENTIFIER_FQDN, value=name) for name in dns_names) + tuple(
        messages.Identifier(typ=messages.IDENTIFIER_IP, value=address) for address in ip_addresses
    )


def _snapshot(url: str, body: messages.Order) -> OrderSnapshot:
    return OrderSnapshot(
        url=url,
        status=body.status.name,
        authorization_urls=tuple(body.authorizations or ()),
        finalize_url=body.finalize,
        certificate_url=body.certificate,
        error=problem_text(body.error) if body.error else None,
    )


def _fetch_order(client: acme_client.ClientV2, url: str) -> tuple[messages.Order, requests.Response]:
    response = post_as_get(client, url)
    return messages.Order.from_json(response.json()), response


def _fetch_authorization(
    client: acme_client.ClientV2, url: str
) -> tuple[messages.Authorization, requests.Response]:
    response = post_as_get(client, url)
    return messages.Authorization.from_json(response.json()), response


def _authorization_failure(authz: messages.Authorization) -> AcmeFailure:
    errors = [problem_text(c.error) for c in authz.challenges if c.error is not None]
    detail = "; ".join(errors) or "no challenge error given"
    return AcmeFailure(
        reasons.ACME_VALIDATION_FAILED,
        f"{authz.identifier.value}: authorization {authz.status.name}: {detail}",
        names=(authz.identifier.value,),
    )


def _advance_order(
    client: acme_client.ClientV2, url: str, csr_pem: bytes
) -> tuple[messages.Order, requests.Response]:
    """Fetch the order and, when it is ready, send the CSR (tolerating a finalization already under way)."""
    body, response = _fetch_order(client, url)
    if body.status == messages.STATUS_PENDING:
        raise AcmeFailure(
            reasons.ACME_ORDER_NOT_READY, f"order {url} still has authorizations to validate", transient=True
        )
    if body.status != messages.STATUS_READY:
        return body, response
    csr = messages.CertificateRequest(csr=x509.load_pem_x509_csr(csr_pem))
    try:
        response = post(client, body.finalize, csr)
    except messages.Error as exc:
        if exc.code != "orderNotReady":
            raise
        return body, response
    return messages.Order.from_json(response.json()), response


def _order_settled(body: messages.Order) -> bool:
    return body.status == messages.STATUS_INVALID or (
        body.status == messages.STATUS_VALID and body.certificate is not None
    )


def _poll(
    fetch: Callable[[], tuple[T, requests.Response]],
    settled: Callable[[T], bool],
    deadline: datetime,
    what: str,
    pause: Pause,
) -> T:
    """Fetch until settled, pausing 0.2 s growing to 3 s (or the server's Retry-After) up to the deadline."""
    delay = FIRST_POLL_DELAY
    while True:
        value, response = fetch()
        if settled(value):
            return value
        now = pause.clock.now()
        remaining = (deadline - now).total_seconds()
        if remaining <= 0:
            raise AcmeFailure(reasons.ACME_TIMEOUT, f"{what} not finished by the deadline", transient=True)
        pause.sleep(min(max(delay, _retry_after_seconds(response, now)), remaining))
        delay = min(delay * POLL_DELAY_GROWTH, MAX_POLL_DELAY)


def _retry_after_seconds(response: requests.Response, now: datetime) -> float:
    when = parse_retry_after(response.headers.get("Retry-After"), now)
    return max(0.0, (when - now).total_seconds()) if when else 0.0
