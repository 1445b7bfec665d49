"""Pure: what one pass over a Certificate does next, from the facts gathered so far and the time.

The loop (loop.py) gathers the facts, asks `decide`, and carries out the step; a step that asks for
a fact (the CA's renewal window, the Secret, the order quota) sends the loop back to gather it. The
fleet simulation (bench/fleet) calls the same function. The facts are in facts.py, the steps in steps.py."""

from __future__ import annotations

import datetime
from dataclasses import replace

from ..api.certificate import CertificateSpec, IssuerRef
from ..conditions import parse_timestamp
from ..core import constants, reasons
from ..core.errors import AcmeFailure, EvercertError
from ..core.retry import RETRY_AFTER_API_ERROR
from . import fallback, renewal_info, window_check
from .facts import Facts, IssuerState
from .look import Look, NeedsWindow, look_at_issued, take_look
from .outputs import Passwords, known_passwords, outputs_current
from .solver_choice import choose_for_names
from .status import CertificateStatus
from .steps import (
    AskQuota,
    AskRenewalInfo,
    Fail,
    Hold,
    Issue,
    ReadPasswords,
    ReadSecret,
    Serve,
    Step,
    Wait,
    WaitForQuota,
)
from .tls_secret import SecretContents, check_owner, check_ownership
from .transitions import finished_before_crash
from .trigger import issued_by


def decide(facts: Facts, now: datetime.datetime) -> Step:
    """The next step of the pass."""
    spec, status, served = facts.spec, facts.status, facts.served
    if spec is None:
        assert facts.spec_error is not None
        return Fail(facts.spec_error)
    try:  # renewal windows that leave too long closed for this certificate's renewals
        window_check.check_windows(spec, status.not_before, status.not_after, now)
    except EvercertError as exc:
        return Fail(exc)
    if served is not None:
        try:
            check_owner(served.annotations, spec)
        except EvercertError as exc:
            return Fail(exc)
    if facts.password_error is not None:  # Ready=False, and nothing is ordered without its keystores
        return Fail(facts.password_error)
    passwords = facts.passwords or known_passwords(spec)
    if passwords is None:
        return ReadPasswords()
    # The look (ARI) asks the issuer of the served certificate; the attempt may go to a fallback.
    served_by = issued_by(spec, served) if served is not None else None
    look_ref = served_by or spec.issuer_ref
    look = _look(facts, spec, served, look_ref, now)
    if isinstance(look, AskRenewalInfo):
        return look
    if look.reason is None:
        return _serve(status, look, passwords)
    attempt_ref = fallback.issuer_for_attempt(spec, status.attempt_issuer, look)
    attempt = facts.issuers.get(attempt_ref) or IssuerState()
    if attempt.issuer is None:
        assert attempt.error is not None
        return Fail(attempt.error, look, attempt_ref)
    try:
        choose_for_names(attempt.issuer.solvers, spec.identifiers, spec.labels)  # a wildcard: DNS-01
    except EvercertError as exc:
        return Fail(exc, look, attempt_ref)
    waiting = status.next_attempt_time is not None and status.next_attempt_time > now
    if waiting and not skips_the_wait(facts.renew_request, status):
        return Wait(status.next_attempt_time)
    if attempt.held_until is not None:
        return Hold(attempt.held_until)
    if facts.secret is None:
        return ReadSecret()
    secret = facts.secret
    if secret.body is not None:
        try:
            check_ownership(secret.body, spec)
        except EvercertError as exc:
            return Fail(exc, look, attempt_ref)
    if secret.body is None or served is None or served.resource_version != secret.resource_version:
        # The watch was behind the Secret: look again at what it really holds (its issuer too, for
        # `replaces`: one cert-manager wrote names it in cert-manager's annotations).
        look = _look(facts, spec, secret.contents, attempt_ref, now)
        if isinstance(look, AskRenewalInfo):
            return look
        served_by = issued_by(spec, secret.contents) if secret.contents is not None else served_by
        if look.reason is None:
            serve = _serve(status, look, passwords)
            if secret.adoptable and served_by is not None:
                return replace(serve, adopt=served_by)
            return serve
    replaces = renewal_info.replaces_id(look.renewal_info, look.served)
    if status.order is None and replaces is None:
        # A new order is coming: wait for its token without holding a worker or a slot.
        if facts.quota is None:
            return AskQuota(look, attempt_ref)
        if facts.quota.until is not None:
            return WaitForQuota(look, facts.quota.until, attempt.issuer)
    # ARI's `replaces` only means something to the CA that issued the certificate replaced.
    return Issue(look, attempt_ref, secret, replaces if attempt_ref == served_by else None, passwords)


def after_error(step: Step | None, error: EvercertError) -> Fail:
    """An error while carrying out `step`: the attempt it was part of (if any) failed."""
    return Fail(error, getattr(step, "look", None), getattr(step, "ref", None))


def after_api_error(now: datetime.datetime) -> Wait:
    """The apiserver is away (restarting, say): look again soon, so it does not stall the Certificate."""
    return Wait(now + RETRY_AFTER_API_ERROR)


def failed_validation_names(fail: Fail) -> tuple[str, ...]:
    """The names to remember as failing validation (the failed-validation hold counts them)."""
    error = fail.error
    if error.reason != reasons.ACME_VALIDATION_FAILED or fail.look is None:
        return ()
    return (error.names if isinstance(error, AcmeFailure) else ()) or fail.look.spec.identifiers


def skips_the_wait(renew_request: str | None, status: CertificateStatus) -> bool:
    """`evercert renew` is the administrator's early retry: a request made after the last failed
    attempt skips that attempt's wait (once: the next failure is later than the request)."""
    if renew_request is None:
        return False
    last = status.last_failure_time
    if last is None:
        return True
    try:
        requested = parse_timestamp(renew_request)
    except ValueError:  # not a time (the annotation is free text): it cannot be newer
        return False
    return requested is not None and requested > last


def _look(
    facts: Facts,
    spec: CertificateSpec,
    served: SecretContents | None,
    ref: IssuerRef,
    now: datetime.datetime,
) -> Look | AskRenewalInfo:
    """The look at `served`; the CA's window is asked of `ref` (its spec's time applies when it
    cannot be used now)."""
    usable = (facts.issuers.get(ref) or IssuerState()).issuer is not None
    found = take_look(
        spec, served, facts.status, now, facts.renew_request is not None, facts.windows if usable else None
    )
    if isinstance(found, NeedsWindow):
        return AskRenewalInfo(ref, found.served)
    return found


def _serve(status: CertificateStatus, look: Look, passwords: Passwords) -> Serve:
    served = look.served
    assert served is not None
    digest = served.annotations.get(constants.ANNOTATION_OUTPUTS)
    rewrite = not outputs_current(look.spec, passwords, digest, served.files)
    if not status.attempt_pending:
        return Serve(look, rewrite_outputs=rewrite, passwords=passwords)
    if finished_before_crash(status, look):
        return Serve(look_at_issued(look.spec, served), True, True, rewrite, passwords)
    return Serve(look, True, False, rewrite, passwords)
