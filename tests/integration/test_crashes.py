"""The operator killed (SIGKILL) at each step of an issuance: a restarted one finishes it and loses nothing.

The crash comes from the operator's test hook (evercert/faults.py), so each step is hit every time.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from typing import get_args

import pytest

from evercert.faults import Step
from evercert_devenv.environment import LocalEnvironment
from evercert_devenv.processes import Server

from ..support.cluster import get
from ..support.waiting import wait_for
from .helpers import assert_valid_tls_secret, certificate, event_reasons, solver_objects, wait_ready
from .watching import Watch, mismatched_versions, order_urls, private_keys

NAMES = ["web.example.org", "www.web.example.org"]


@pytest.fixture(scope="module")
def session_operator_stopped(operator: Server) -> Iterator[None]:
    """These tests run operators of their own; the session's must not act meanwhile."""
    operator.stop()
    yield
    operator.start()


@pytest.mark.parametrize("step", get_args(Step))
def test_a_crash_at_any_step_of_an_issuance_loses_nothing(
    env: LocalEnvironment, session_operator_stopped: None, namespace: str, step: str
) -> None:
    with Watch(env, "secrets", namespace) as secrets, Watch(env, "certificates", namespace) as certificates:
        crashing = env.start_operator(f"crash-at-{step}", extra_env={"EVERCERT_TEST_CRASH_AT": step})
        env.apply(certificate(namespace, "web", NAMES))
        wait_for(lambda: not crashing.running(), 60, f"the operator to crash at {step}", crashing)
        assert crashing.process is not None and crashing.process.returncode == -signal.SIGKILL
        restarted = env.start_operator(f"restarted-after-{step}")
        try:
            wait_ready(env, namespace, "web", process=restarted)
            wait_for(lambda: not solver_objects(env, namespace), 30, "solver objects removed", restarted)
            wait_for(lambda: not get(env, "secret", namespace, "web-next-key"), 30, "next key removed")
        finally:
            restarted.stop()
    assert_valid_tls_secret(env, namespace, "web-tls", NAMES)
    assert not mismatched_versions(secrets.versions), "a Secret held a key that did not match its certificate"
    assert len(private_keys(secrets.versions, "web")) == 1, "a second private key was made"
    assert len(order_urls(certificates.versions)) == 1, "a second order was placed"
    cert = get(env, "certificate", namespace, "web")
    assert cert is not None and cert["status"]["revision"] == 1
    assert event_reasons(env, namespace, "web").count("Issued") == 1
