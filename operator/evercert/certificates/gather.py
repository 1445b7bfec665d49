"""The facts of a pass: what is known without a request (the body parsed once, the watch's Secret,
the issuers from the index), and the answers to the steps that ask for one (decide.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from ..api.certificate import CertificateSpec, IssuerRef, parse_certificate
from ..conditions import parse_timestamp
from ..core.errors import EvercertError, InvalidSpec, KeystorePasswordUnavailable
from ..issuers.lookup import IssuerLookup, resolve_issuer
from ..issuers.session import AcmeSession
from ..kube.client import read_secret
from . import quota, renewal_info
from .adoption_patch import adoptable_by
from .facts import Facts, IssuerState, QuotaAnswer, SecretRead
from .outputs import read_passwords
from .parts import PassParts
from .status import parse_status, pending_renew_request
from .steps import AskRenewalInfo, Question, ReadPasswords, ReadSecret
from .tls_secret import SecretContents, read_contents

ServedLookup = Callable[[str, str], SecretContents | None]


def known_facts(
    parts: PassParts, body: Mapping[str, Any], lookup: IssuerLookup, served_lookup: ServedLookup
) -> Facts:
    """What the pass knows without a request."""
    status = parse_status(body.get("status"))
    meta = body.get("metadata") or {}
    generation = int(meta.get("generation") or 0)
    try:
        spec = parse_certificate(body)
    except InvalidSpec as exc:
        return Facts(status, None, exc, generation)
    issuers = {ref: _issuer_state(parts, spec, lookup, ref) for ref in spec.issuer_refs}
    served = served_lookup(spec.namespace, spec.secret_name)
    renew_request = pending_renew_request(body)
    created = parse_timestamp(meta.get("creationTimestamp"))
    return Facts(status, spec, None, generation, served, renew_request, created, issuers)


def _issuer_state(
    parts: PassParts, spec: CertificateSpec, lookup: IssuerLookup, ref: IssuerRef
) -> IssuerState:
    try:
        issuer, account_uri = resolve_issuer(spec, lookup, ref)
    except EvercertError as exc:
        return IssuerState(error=exc)
    held = parts.failed_validations.held_until(account_uri, spec.identifiers, parts.clock.now())
    return IssuerState(issuer, account_uri, held_until=held)


class Sessions:
    """The pass's ACME sessions, one per issuer, opened on first use."""

    def __init__(self, parts: PassParts, facts: Facts) -> None:
        self._parts = parts
        self._issuers = facts.issuers
        self._open: dict[IssuerRef, AcmeSession] = {}

    def get(self, ref: IssuerRef) -> AcmeSession:
        session = self._open.get(ref)
        if session is None:
            state = self._issuers[ref]
            assert state.issuer is not None and state.account_uri is not None
            session = self._open[ref] = AcmeSession(self._parts.accounts, state.issuer, state.account_uri)
        return session

    def used(self, ref: IssuerRef | None) -> AcmeSession | None:
        return self._open.get(ref) if ref is not None else None


async def answer(parts: PassParts, facts: Facts, sessions: Sessions, question: Question) -> Facts:
    """The facts with the answer to `question` added."""
    if isinstance(question, AskRenewalInfo):
        served = question.served
        assert served.info is not None
        record = await renewal_info.fetch_record(sessions.get(question.ref), served, parts.clock.now())
        return dataclasses.replace(facts, windows={**facts.windows, served.info.serial_hex: record})
    if isinstance(question, ReadSecret):
        assert facts.spec is not None
        secret = await read_secret(parts.kube, facts.spec.namespace, facts.spec.secret_name)
        contents = read_contents(secret) if secret is not None else None
        adoptable = secret is not None and adoptable_by(facts.spec, secret)
        return dataclasses.replace(facts, secret=SecretRead(secret, contents, adoptable))
    if isinstance(question, ReadPasswords):
        assert facts.spec is not None
        try:
            return dataclasses.replace(facts, passwords=await read_passwords(parts.kube, facts.spec))
        except KeystorePasswordUnavailable as exc:
            return dataclasses.replace(facts, password_error=exc)
    session, now = sessions.get(question.ref), parts.clock.now()
    order_quota = quota.order_quota(parts.pacing, session, question.look, facts.created, now)
    return dataclasses.replace(facts, quota=QuotaAnswer(order_quota.wait_until()))
