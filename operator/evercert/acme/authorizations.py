"""The authorizations of an order still to validate, the HTTP-01 or DNS-01 work for each, and the
answer that tells the CA to validate."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import requests
from acme import challenges, messages
from acme import client as acme_client

from evercert.acme.client import post, post_as_get
from evercert.acme.errors import acme_call, problem_text
from evercert.core import reasons
from evercert.core.errors import AcmeFailure


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


@acme_call()
def pending_authorizations(
    client: acme_client.ClientV2, authorization_urls: Iterable[str]
) -> list[PendingAuthorization]:
    """The order's authorizations still to validate; those already valid need nothing."""
    pending = []
    for url in authorization_urls:
        authz = fetch_authorization(client, url)[0]
        if authz.status == messages.STATUS_VALID:
            continue
        if authz.status != messages.STATUS_PENDING:
            raise authorization_failure(authz)
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


def fetch_authorization(
    client: acme_client.ClientV2, url: str
) -> tuple[messages.Authorization, requests.Response]:
    response = post_as_get(client, url)
    return messages.Authorization.from_json(response.json()), response


def authorization_failure(authz: messages.Authorization) -> AcmeFailure:
    errors = [problem_text(c.error) for c in authz.challenges if c.error is not None]
    detail = "; ".join(errors) or "no challenge error given"
    return AcmeFailure(
        reasons.ACME_VALIDATION_FAILED,
        f"{authz.identifier.value}: authorization {authz.status.name}: {detail}",
        names=(authz.identifier.value,),
    )
