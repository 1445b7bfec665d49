"""A release that serves some namespaces only: its operator works with permissions granted there alone."""

from __future__ import annotations

import subprocess

from evercert_devenv.environment import LocalEnvironment

from ..integration.helpers import assert_valid_tls_secret, wait_ready
from ..support.chart import (
    ChartOperator,
    forbidden_requests,
    install,
    permission_errors,
    start_operator,
)
from ..support.cluster import condition
from ..support.waiting import wait_for
from .test_ingress_shim import ingress

SERVED = "e2e-served"


def can(env: LocalEnvironment, user: str, *request: str) -> bool:
    """`kubectl auth can-i` as `user` (it exits non-zero for "no")."""
    try:
        env.controlplane.kubectl("auth", "can-i", *request, f"--as={user}")
    except subprocess.CalledProcessError as refused:
        assert refused.stdout.strip() == "no", refused.stderr
        return False
    return True


def test_a_release_for_one_namespace_serves_it_with_permissions_granted_only_there(
    env: LocalEnvironment, chart_operator: ChartOperator
) -> None:
    env.controlplane.kubectl("create", "namespace", SERVED)
    release = install(env, "evercert-scoped", "evercert-scoped-system", f"watchNamespaces={{{SERVED}}}")
    user = release.service_account_user
    assert can(env, user, "get", "secrets", "-n", SERVED)
    assert not can(env, user, "get", "secrets", "-n", "default")
    assert not can(env, user, "list", "certificates.evercert.dev", "-n", "default")
    assert can(env, user, "patch", "deployments.apps", "-n", SERVED)  # reload on renewal
    assert not can(env, user, "patch", "deployments.apps", "-n", "default")
    # The release for every namespace steps aside, so that only one operator serves SERVED.
    chart_operator.process.stop()
    scoped = start_operator(env, release, "scoped-operator")
    try:
        # An Issuer in the served namespace: its account key is kept there, not in the release's namespace.
        issuer = env.cluster_issuer("local")
        issuer.update(kind="Issuer", metadata={"name": "local", "namespace": SERVED})
        env.apply(issuer)
        wait_for(
            lambda: condition(env, "issuer", SERVED, "local", "Ready") == "True",
            60,
            "Issuer Ready",
            scoped.process,
        )
        names = ["scoped.example.org"]
        env.apply(ingress(SERVED, "scoped", {"scoped-tls": names}, {"evercert.dev/issuer": "local"}))
        wait_ready(env, SERVED, "scoped-tls", process=scoped.process)
        assert_valid_tls_secret(env, SERVED, "scoped-tls", names)
    finally:
        scoped.process.stop()
        chart_operator.process.start()
    assert forbidden_requests(env, release) == []
    assert permission_errors(scoped.process.log_path) == []
