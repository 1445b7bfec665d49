"""The operator killed (SIGKILL) while its DNS-01 values are in BIND: a restarted one issues the
certificate and removes every value, including those of the attempt that died."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from evercert_devenv.dns import ZONE
from evercert_devenv.environment import LocalEnvironment
from evercert_devenv.processes import Server

from ..support.cluster import get
from ..support.waiting import wait_for
from .helpers import assert_valid_tls_secret, certificate, wait_ready


@pytest.fixture(scope="module")
def session_operator_stopped(env: LocalEnvironment, operator: Server) -> Iterator[None]:
    """These tests run operators of their own; the session's must not act meanwhile."""
    env.apply(env.dns_cluster_issuer())
    wait_for(lambda: _issuer_ready(env), 60, "ClusterIssuer local-pebble-dns Ready", operator)
    operator.stop()
    yield
    operator.start()


def _issuer_ready(env: LocalEnvironment) -> bool:
    conditions = ((get(env, "clusterissuer", None, "local-pebble-dns") or {}).get("status") or {}).get(
        "conditions"
    ) or []
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


@pytest.mark.parametrize("step", ["solvers-created", "challenge-answered"])
def test_a_crash_with_txt_values_in_place_leaves_none_after_restart(
    env: LocalEnvironment, session_operator_stopped: None, namespace: str, step: str
) -> None:
    apex = f"{namespace}.{ZONE}"
    names = [f"*.{apex}", apex]
    crashing = env.start_operator(f"dns-crash-at-{step}", extra_env={"EVERCERT_TEST_CRASH_AT": step})
    env.apply(certificate(namespace, "wild", names, issuer="local-pebble-dns"))
    wait_for(lambda: not crashing.running(), 60, f"the operator to crash at {step}", crashing)
    assert crashing.process is not None and crashing.process.returncode == -signal.SIGKILL
    assert len(_txt(env, namespace)) == 2, "the crashed attempt's two values are in the zone"
    recorded = (get(env, "certificate", namespace, "wild") or {})["status"]["order"]["dnsRecords"]
    assert sorted(r["dnsName"] for r in recorded) == sorted(names)
    restarted = env.start_operator(f"dns-restarted-after-{step}")
    try:
        wait_ready(env, namespace, "wild", process=restarted)
        wait_for(lambda: not _txt(env, namespace), 30, "TXT values removed", restarted)
    finally:
        restarted.stop()
    assert_valid_tls_secret(env, namespace, "wild-tls", [apex, f"www.{apex}"])


def _txt(env: LocalEnvironment, label: str) -> list[str]:
    return [line for line in env.bind.txt_records() if label in line]
