"""CA faults: outages (5xx, dropped connections), Retry-After, rejected nonces, failed validations.

These tests run their own operator with a 2 s first backoff (EVERCERT_BACKOFF_BASE_SECONDS) so that
retries happen within the test: the schedule scales with it, 2 s, 20 s, 200 s, then 2880 s (production:
1 min, 10 min, 100 min, then a day).
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evercert_devenv.environment import LocalEnvironment
from evercert_devenv.pebble import Pebble
from evercert_devenv.processes import Server

from ..support.cluster import condition, get
from ..support.waiting import wait_for
from .caproxy import CaProxy
from .helpers import assert_valid_tls_secret, certificate, event_reasons, wait_ready
from .watching import Watch, mismatched_versions, order_urls, private_keys

FIRST_BACKOFF = 2
SCHEDULE = (1, 10, 100, 1440)  # Let's Encrypt's 1 min, 10 min, 100 min, a day, in first backoffs
# An attempt during an outage ends at its first failed request to the CA.
MAX_REQUESTS_PER_ATTEMPT = 1


@pytest.fixture(scope="module")
def fast_operator(env: LocalEnvironment, operator: Server) -> Iterator[Server]:
    """An operator that backs off from 2 s instead of 1 minute, in place of the session's."""
    operator.stop()
    fast = env.start_operator("fast-backoff", extra_env={"EVERCERT_BACKOFF_BASE_SECONDS": str(FIRST_BACKOFF)})
    yield fast
    fast.stop()
    operator.start()


@pytest.fixture(scope="module")
def proxy(env: LocalEnvironment) -> Iterator[CaProxy]:
    server = CaProxy(env.pebble, env.pebble.ca)
    yield server
    server.stop()


@pytest.fixture
def flaky_issuer(env: LocalEnvironment, fast_operator: Server, proxy: CaProxy, namespace: str) -> str:
    """An Issuer in the test's namespace whose CA is reached through the proxy (passing for now)."""
    proxy.fail("pass")
    env.apply(proxy.issuer("flaky", namespace))
    wait_for(lambda: condition(env, "issuer", namespace, "flaky", "Ready") == "True", 30, "Issuer Ready")
    return "flaky"


@contextlib.contextmanager
def solverhost_paused(env: LocalEnvironment) -> Iterator[None]:
    """SIGSTOP the solver host: an issuance waits in its self-check, its order stored, until SIGCONT."""
    assert env.solverhost is not None and env.solverhost.process is not None
    env.solverhost.process.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        env.solverhost.process.send_signal(signal.SIGCONT)


def failures(versions: list[dict[str, Any]]) -> list[tuple[int, datetime.datetime, datetime.datetime]]:
    """Each failed attempt once: (number, lastFailureTime, nextAttemptTime), in order."""
    seen: dict[int, tuple[int, datetime.datetime, datetime.datetime]] = {}
    for version in versions:
        status = version.get("status") or {}
        if status.get("failedIssuanceAttempts") and status.get("nextAttemptTime"):
            number = int(status["failedIssuanceAttempts"])
            seen[number] = (number, _time(status["lastFailureTime"]), _time(status["nextAttemptTime"]))
    return [seen[n] for n in sorted(seen)]


def _time(text: str) -> datetime.datetime:
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")


def backoff(number: int) -> int:
    """The wait after the `number`-th failed attempt, in seconds."""
    return FIRST_BACKOFF * SCHEDULE[min(number, len(SCHEDULE)) - 1]


def most_attempts(outage: float) -> int:
    """At most this many attempts fit in an outage of `outage` seconds: the first, then one per wait."""
    attempts, waited = 1, 0
    while waited + backoff(attempts) <= outage:
        waited += backoff(attempts)
        attempts += 1
    return attempts


def failed_attempts(env: LocalEnvironment, namespace: str, name: str) -> int:
    cert = get(env, "certificate", namespace, name) or {}
    return int((cert.get("status") or {}).get("failedIssuanceAttempts") or 0)


def ready_at_failure(versions: list[dict[str, Any]], number: int) -> dict[str, Any]:
    """The Ready condition as the failed attempt `number` left it (the next attempt soon changes it)."""
    version = next(v for v in versions if (v.get("status") or {}).get("failedIssuanceAttempts") == number)
    return next(c for c in version["status"]["conditions"] if c["type"] == "Ready")


@pytest.mark.parametrize(("mode", "reason"), [("503", "ACMEServerError"), ("drop", "ACMEServerUnreachable")])
def test_an_order_in_flight_survives_a_ca_outage_with_the_retry_schedule(
    env: LocalEnvironment, proxy: CaProxy, flaky_issuer: str, namespace: str, mode: str, reason: str
) -> None:
    with Watch(env, "certificates", namespace) as certificates, Watch(env, "secrets", namespace) as secrets:
        with solverhost_paused(env):
            env.apply(certificate(namespace, "web", ["web.example.org"], issuer=flaky_issuer, kind="Issuer"))
            wait_for(lambda: order_urls([get(env, "certificate", namespace, "web") or {}]), 30, "an order")
            outage_began = time.monotonic()
            proxy.fail(mode)
        wait_for(lambda: failed_attempts(env, namespace, "web") >= 2, 30, "two failed attempts")
        proxy.fail("pass")
        outage = time.monotonic() - outage_began
        wait_ready(env, namespace, "web", timeout=backoff(2) + 20)
    versions = certificates.versions
    during = ready_at_failure(versions, 1)
    assert during["status"] == "False" and during["reason"] == reason
    attempts = failures(versions)
    for number, failed_at, next_at in attempts:
        wait = backoff(number)  # status times hold whole seconds, rounded up
        assert wait <= (next_at - failed_at).total_seconds() <= wait + 1
    for (_, _, next_at), (_, failed_at, _) in itertools.pairwise(attempts):
        assert failed_at >= next_at, "an attempt came before its backoff was over"
    sent = proxy.requests(mode)
    assert 0 < len(sent) <= MAX_REQUESTS_PER_ATTEMPT * len(attempts)
    assert len(attempts) <= most_attempts(outage)
    assert len(order_urls(versions)) == 1, "the order in flight was not resumed"
    assert not mismatched_versions(secrets.versions)
    assert len(private_keys(secrets.versions, "web")) == 1, (
        "the next private key was not kept across attempts"
    )
    assert_valid_tls_secret(env, namespace, "web-tls", ["web.example.org"])


def test_retry_after_from_the_ca_is_honoured(
    env: LocalEnvironment, proxy: CaProxy, flaky_issuer: str, namespace: str
) -> None:
    retry_after = 3  # longer than the first backoff (2 s): the CA's wish wins
    proxy.fail("429", retry_after_seconds=retry_after)
    with Watch(env, "certificates", namespace) as certificates:
        env.apply(certificate(namespace, "web", ["web.example.org"], issuer=flaky_issuer, kind="Issuer"))
        wait_for(lambda: len(proxy.requests("429")) >= 2, 30, "a second attempt")
        proxy.fail("pass")
    limited = proxy.requests("429")
    assert limited[1].at - limited[0].at >= retry_after
    (_, failed_at, next_at), *_ = failures(certificates.versions)
    assert retry_after <= (next_at - failed_at).total_seconds() <= retry_after + 1
    assert ready_at_failure(certificates.versions, 1)["reason"] == "ACMERateLimited"


def test_a_ca_rejecting_half_of_all_nonces_still_issues_without_a_failed_attempt(
    env: LocalEnvironment, fast_operator: Server, namespace: str, tmp_path: Path
) -> None:
    pebble = Pebble(tmp_path, ca=env.pebble.ca, http01_port=env.pebble.http01_port, nonce_reject_percent=50)
    pebble.start()
    proxy = CaProxy(pebble, env.pebble.ca)
    try:
        with Watch(env, "certificates", namespace) as certificates:
            env.apply(proxy.issuer("nonces", namespace))
            env.apply(certificate(namespace, "web", ["web.example.org"], issuer="nonces", kind="Issuer"))
            wait_ready(env, namespace, "web", timeout=60, process=fast_operator)
    finally:
        proxy.stop()
        pebble.stop()
    rejected = [s for s in proxy.requests() if s.problem == "badNonce"]
    assert rejected, "Pebble did not reject nonces as configured"
    assert not failures(certificates.versions), "a rejected nonce failed an attempt"
    assert "Warning" not in event_types(env, namespace, "nonces")


def event_types(env: LocalEnvironment, namespace: str, name: str) -> list[str]:
    out = env.controlplane.kubectl(
        "get", "events", "-n", namespace, "--field-selector", f"involvedObject.name={name}",
        "-o", "jsonpath={.items[*].type}",
    )  # fmt: skip
    return out.split()


def test_a_failed_validation_reports_the_cas_reason_removes_solvers_and_backs_off(
    env: LocalEnvironment, fast_operator: Server, namespace: str
) -> None:
    """The route works from inside the cluster (the self-check passes) but the CA cannot reach it."""
    name = f"unreachable-{uuid.uuid4().hex[:6]}.example.org"
    env.pebble.resolve(name, "127.0.0.2")  # nothing listens there: the CA's connection is refused
    with Watch(env, "certificates", namespace) as certificates, Watch(env, "pods", namespace) as pods:
        env.apply(certificate(namespace, "lost", [name]))
        wait_for(lambda: failed_attempts(env, namespace, "lost") >= 2, 30, "a second attempt", fast_operator)
    solver_pods = [(kind, pod["metadata"]["name"]) for kind, pod in pods.events]
    first_pod = solver_pods[0][1]
    second_added = next(
        i for i, (kind, pod) in enumerate(solver_pods) if kind == "ADDED" and pod != first_pod
    )
    assert ("DELETED", first_pod) in solver_pods[:second_added], "solver objects outlived the failed attempt"
    ready = ready_at_failure(certificates.versions, 1)
    assert ready["status"] == "False" and ready["reason"] == "ACMEValidationFailed"
    assert name in ready["message"] and "127.0.0.2" in ready["message"]
    (_, _, retry_at), (_, failed_again, _) = failures(certificates.versions)[:2]
    assert failed_again >= retry_at, "the retry did not wait for its backoff"
    assert len(order_urls(certificates.versions)) >= 2, "each attempt after a failed validation orders anew"
    assert event_reasons(env, namespace, "lost").count("ACMEValidationFailed") >= 1


def test_a_failing_primary_issuer_falls_back_and_the_next_renewal_tries_it_again(
    env: LocalEnvironment, fast_operator: Server, proxy: CaProxy, namespace: str
) -> None:
    """Two Pebble-backed ClusterIssuers (two accounts): the primary reached through the proxy, which
    answers 503 after the account is registered; after 3 failed attempts the fallback issues."""
    primary = f"primary-{namespace}"
    proxy.fail("pass")
    issuer = proxy.issuer(primary, namespace)
    issuer["kind"] = "ClusterIssuer"
    issuer["metadata"] = {"name": primary}
    env.apply(issuer)
    wait_for(lambda: condition(env, "clusterissuer", None, primary, "Ready") == "True", 30, "primary Ready")
    fallback = {"name": "local-pebble", "kind": "ClusterIssuer"}
    proxy.fail("503")
    outage_began = time.monotonic()
    with Watch(env, "certificates", namespace) as certificates:
        env.apply(
            certificate(namespace, "web", ["web.example.org"], issuer=primary, fallbackIssuerRefs=[fallback])
        )
        wait_ready(env, namespace, "web", timeout=backoff(1) + backoff(2) + backoff(1) + 30)
        issued = get(env, "certificate", namespace, "web") or {}
        annotations = (get(env, "secret", namespace, "web-tls") or {})["metadata"]["annotations"]
        proxy.fail("pass")
        passing_since = time.monotonic()
        env.controlplane.kubectl(
            "annotate", "-n", namespace, "certificate", "web", "evercert.dev/renew-requested-at=now-1"
        )
        wait_for(lambda: served_by(env, namespace) == primary, 60, "issued again by the primary")
    attempts = failures(certificates.versions)
    assert [number for number, _, _ in attempts] == [1, 2, 3]
    assert ready_at_failure(certificates.versions, 1)["reason"] == "ACMEServerError"
    (_, _, retry_at), (_, switched_at, fallback_at) = attempts[1], attempts[2]
    assert switched_at >= retry_at
    assert (fallback_at - switched_at).total_seconds() <= backoff(1) + 1, "the fallback waited the schedule"
    assert annotations["evercert.dev/issuer-name"] == "local-pebble"
    assert annotations["evercert.dev/issuer-kind"] == "ClusterIssuer"
    assert issued["status"]["issuedBy"] == fallback
    assert "attemptIssuer" not in issued["status"]
    # Kept until its renewal (here the renew request): the trigger does not call it IncorrectIssuer.
    after = [v for v in certificates.versions if (v.get("status") or {}).get("issuedBy") == fallback]
    issuing_reasons = {
        c.get("reason") for v in after for c in v["status"].get("conditions") or [] if c["type"] == "Issuing"
    }
    assert after and issuing_reasons <= {"ManuallyTriggered"}, issuing_reasons
    assert len(proxy.requests("503", since=outage_began)) <= MAX_REQUESTS_PER_ATTEMPT * 3
    assert proxy.requests("pass", since=passing_since), "the renewal did not go to the primary"
    final = get(env, "certificate", namespace, "web") or {}
    assert final["status"]["issuedBy"] == {"name": primary, "kind": "ClusterIssuer"}
    assert_valid_tls_secret(env, namespace, "web-tls", ["web.example.org"])
    env.controlplane.kubectl("delete", "clusterissuer", primary)


def served_by(env: LocalEnvironment, namespace: str) -> str | None:
    secret = get(env, "secret", namespace, "web-tls") or {}
    return ((secret.get("metadata") or {}).get("annotations") or {}).get("evercert.dev/issuer-name")
