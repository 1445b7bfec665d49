"""kube-apiserver killed and restarted mid-issuance: every request fails and every watch breaks meanwhile."""

from __future__ import annotations

from evercert_devenv.environment import LocalEnvironment
from evercert_devenv.processes import Server

from ..support.cluster import condition, get
from ..support.waiting import outage, wait_for
from .caproxy import CaProxy
from .helpers import assert_valid_tls_secret, certificate, serial, solver_objects, tls_data, wait_ready

APISERVER_DOWNTIME = 3


def test_an_apiserver_restart_mid_issuance_stalls_nothing(
    env: LocalEnvironment, operator: Server, namespace: str
) -> None:
    env.apply(certificate(namespace, "before", ["before.example.org"]))
    proxy = CaProxy(env.pebble, env.pebble.ca)
    try:
        env.apply(proxy.issuer("held", namespace))
        wait_ready(env, namespace, "before", process=operator)
        wait_for(lambda: condition(env, "issuer", namespace, "held", "Ready") == "True", 30, "Issuer Ready")
        proxy.fail("hold")  # the issuance waits for the CA...
        env.apply(certificate(namespace, "during", ["during.example.org"], issuer="held", kind="Issuer"))
        wait_for(lambda: proxy.requests("hold"), 30, "a request to the CA", operator)
        with env.controlplane.apiserver_down():
            proxy.fail("pass")  # ...and goes on while the apiserver is away: its next request there fails
            outage(APISERVER_DOWNTIME)
        wait_ready(env, namespace, "during", timeout=30, process=operator)
    finally:
        proxy.stop()
    assert_valid_tls_secret(env, namespace, "during-tls", ["during.example.org"])
    # The watches are back: a new Certificate is seen, and so is a hand-deleted managed Secret.
    env.apply(certificate(namespace, "after", ["after.example.org"]))
    first = serial(tls_data(env, namespace, "before-tls")[0])
    env.controlplane.kubectl("delete", "secret", "before-tls", "-n", namespace)
    wait_ready(env, namespace, "after", timeout=30, process=operator)
    wait_for(lambda: get(env, "secret", namespace, "before-tls"), 30, "the deleted Secret reissued", operator)
    wait_ready(env, namespace, "before", timeout=30, process=operator)
    assert serial(tls_data(env, namespace, "before-tls")[0]) != first
    wait_for(lambda: not solver_objects(env, namespace), 30, "solver objects removed", operator)
