"""The e2e environment: its own control plane and Pebble without CRDs, evercert installed by the real
`helm install`, and the operator running with a token of the chart's ServiceAccount, so that every
request it makes is authorized by the chart's RBAC and nothing else.

It does not share the session environment: no other operator can act on its objects.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from evercert_devenv.environment import LocalEnvironment

from ..support.chart import (
    RELEASE,
    RELEASE_NAMESPACE,
    ChartOperator,
    Release,
    forbidden_requests,
    install,
    permission_errors,
    start_operator,
    wait_issuer_ready,
)
from ..support.cluster import announce


@pytest.fixture(scope="package")
def env(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[LocalEnvironment]:
    """Overrides the session environment for tests/e2e: a fresh one, with no CRDs and no operator."""
    with LocalEnvironment(tmp_path_factory.mktemp("e2e"), with_crds=False) as environment:
        up = f"local environment up in {environment.started_in:.1f} s"
        announce(pytestconfig, f"[e2e] {up}; {environment.routing}")
        yield environment


@pytest.fixture(scope="package")
def release(env: LocalEnvironment) -> Release:
    """The chart with its default values: every namespace served."""
    started = time.monotonic()
    installed = install(env, RELEASE, RELEASE_NAMESPACE)
    print(f"\n[e2e] helm install in {time.monotonic() - started:.1f} s")
    return installed


@pytest.fixture(scope="package")
def chart_operator(env: LocalEnvironment, release: Release) -> Iterator[ChartOperator]:
    operator = start_operator(env, release, "chart-operator")
    env.apply(env.cluster_issuer())
    wait_issuer_ready(env, operator)
    yield operator
    operator.process.stop()
    # Every request of the whole e2e run, checked once more at the end.
    assert forbidden_requests(env, release) == [], "the chart's RBAC refused requests"
    assert permission_errors(operator.process.log_path) == []
