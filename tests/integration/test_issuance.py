"""Issue, renew and resume against the real kube-apiserver and Pebble."""

from __future__ import annotations

import os
import subprocess
import sys

from evercert.pki import key_matches_certificate
from evercert_devenv.environment import LocalEnvironment
from evercert_devenv.processes import Server

from ..support.cluster import condition, get
from ..support.waiting import holds, wait_for
from .helpers import (
    assert_valid_tls_secret,
    certificate,
    read_table,
    serial,
    solver_objects,
    tls_data,
    wait_ready,
)


def test_issues_a_tls_secret_for_two_names(env: LocalEnvironment, operator: Server, namespace: str) -> None:
    names = ["www.example.org", "example.org"]
    env.apply(certificate(namespace, "web", names))
    wait_ready(env, namespace, "web", process=operator)
    assert_valid_tls_secret(env, namespace, "web-tls", names)
    secret = get(env, "secret", namespace, "web-tls")
    assert secret is not None and secret["type"] == "kubernetes.io/tls"
    assert secret["metadata"]["annotations"]["evercert.dev/issuer-name"] == "local-pebble"
    cert = get(env, "certificate", namespace, "web")
    assert cert is not None
    status = cert["status"]
    assert status["revision"] == 1 and status["notAfter"] and status["renewalTime"]
    assert not status.get("order")
    wait_for(lambda: not solver_objects(env, namespace), 30, "solver objects removed")
    assert get(env, "secret", namespace, "web-next-key") is None


def test_renewal_time_follows_the_cas_renewal_information(
    env: LocalEnvironment, operator: Server, namespace: str
) -> None:
    env.apply(certificate(namespace, "ari", ["ari.example.org"]))
    wait_ready(env, namespace, "ari", process=operator)

    def renewal_info() -> dict[str, str] | None:
        status = (get(env, "certificate", namespace, "ari") or {}).get("status") or {}
        return status.get("renewalInfo") if (status.get("renewalInfo") or {}).get("windowStart") else None

    info = wait_for(renewal_info, 30, "ARI window in status", operator)
    status = (get(env, "certificate", namespace, "ari") or {})["status"]
    assert info["serial"] == status["serialNumber"]
    assert info["windowStart"] <= status["renewalTime"] <= info["windowEnd"]


def test_reissues_when_dns_names_change(env: LocalEnvironment, operator: Server, namespace: str) -> None:
    env.apply(certificate(namespace, "site", ["a.example.org"]))
    wait_ready(env, namespace, "site", process=operator)
    first, _ = tls_data(env, namespace, "site-tls")
    env.apply(certificate(namespace, "site", ["a.example.org", "b.example.org"]))
    wait_for(
        lambda: serial(tls_data(env, namespace, "site-tls")[0]) != serial(first), 60, "reissue", operator
    )
    wait_ready(env, namespace, "site", process=operator)
    assert_valid_tls_secret(env, namespace, "site-tls", ["a.example.org", "b.example.org"])


def test_renews_a_short_lived_certificate_by_itself(
    env: LocalEnvironment, operator: Server, namespace: str
) -> None:
    """Pebble's shortlived profile gives 30 s certificates: renewal comes at half the lifetime,
    also when the operator was restarted in between."""
    issuer = env.cluster_issuer("pebble-shortlived")
    issuer["spec"]["acme"]["profile"] = "shortlived"  # type: ignore[index]
    issuer["kind"] = "Issuer"
    issuer["metadata"] = {"name": "shortlived", "namespace": namespace}
    env.apply(issuer)
    wait_for(
        lambda: condition(env, "issuer", namespace, "shortlived", "Ready") == "True",
        60,
        "Issuer Ready",
        operator,
    )
    env.apply(certificate(namespace, "brief", ["brief.example.org"], issuer="shortlived", kind="Issuer"))
    wait_ready(env, namespace, "brief", process=operator)
    first_serial = serial(tls_data(env, namespace, "brief-tls")[0])
    operator.stop()  # the renewal time must survive a restart: it is derived from the Secret
    operator.start()
    serials = {first_serial}

    def renewed() -> bool:
        chain, key = tls_data(env, namespace, "brief-tls")
        assert key_matches_certificate(key, chain), "the Secret's key does not match its certificate"
        serials.add(serial(chain))
        return len(serials) >= 2

    wait_for(renewed, 60, "the renewal", operator)
    wait_ready(env, namespace, "brief", process=operator)
    cert = get(env, "certificate", namespace, "brief")
    assert cert is not None and cert["status"]["revision"] >= 2


def test_resumes_the_same_order_and_key_after_a_crash(
    env: LocalEnvironment, operator: Server, namespace: str
) -> None:
    """SIGKILL the operator while it waits for the challenge route; a new one finishes the same order."""
    assert env.solverhost is not None and env.solverhost.process is not None
    env.solverhost.process.send_signal(19)  # SIGSTOP: the route stops answering
    try:
        env.apply(certificate(namespace, "crash", ["crash.example.org"]))
        order_url = wait_for(
            lambda: (
                ((get(env, "certificate", namespace, "crash") or {}).get("status") or {})
                .get("order", {})
                .get("url")
            ),
            30,
            "order stored in status",
            operator,
        )
        next_key = wait_for(lambda: get(env, "secret", namespace, "crash-next-key"), 30, "next key Secret")
        operator.kill()
    finally:
        env.solverhost.process.send_signal(18)  # SIGCONT
    operator.start()
    wait_ready(env, namespace, "crash", process=operator)
    _, key = tls_data(env, namespace, "crash-tls")
    import base64

    assert key == base64.b64decode(next_key["data"]["tls.key"]), "a second key was made"
    cert = get(env, "certificate", namespace, "crash")
    assert cert is not None and cert["status"]["revision"] == 1
    events = env.controlplane.kubectl("get", "events", "-n", namespace, "-o", "jsonpath={.items[*].reason}")
    assert events.split().count("Issued") == 1
    assert order_url


def test_deleting_a_certificate_removes_its_solvers_and_keeps_the_secret(
    env: LocalEnvironment, operator: Server, namespace: str
) -> None:
    env.apply(certificate(namespace, "kept", ["kept.example.org"]))
    wait_ready(env, namespace, "kept", process=operator)
    assert env.solverhost is not None and env.solverhost.process is not None
    env.solverhost.process.send_signal(19)  # SIGSTOP: the next issuance hangs with its solvers in place
    try:
        env.apply(certificate(namespace, "kept", ["kept.example.org", "also.example.org"]))
        wait_for(lambda: len(solver_objects(env, namespace)) >= 3, 30, "solver objects", operator)
        env.controlplane.kubectl("delete", "certificate", "kept", "-n", namespace)
        wait_for(lambda: not solver_objects(env, namespace), 30, "solver objects removed", operator)
    finally:
        env.solverhost.process.send_signal(18)  # SIGCONT
    chain, key = tls_data(env, namespace, "kept-tls")
    assert key_matches_certificate(key, chain)


def test_evercert_renew_reissues_once(env: LocalEnvironment, operator: Server, namespace: str) -> None:
    env.apply(certificate(namespace, "manual", ["manual.example.org"]))
    wait_ready(env, namespace, "manual", process=operator)
    first = serial(tls_data(env, namespace, "manual-tls")[0])
    environment = {**os.environ, **env.operator_env()}
    subprocess.run(
        [sys.executable, "-m", "evercert", "renew", "manual", "-n", namespace],
        check=True,
        env=environment,
        capture_output=True,
    )
    wait_for(
        lambda: serial(tls_data(env, namespace, "manual-tls")[0]) != first, 30, "manual renewal", operator
    )
    wait_for(
        lambda: (get(env, "certificate", namespace, "manual") or {})["status"].get("lastRenewRequest"),
        30,
        "renew request recorded",
    )
    holds(
        lambda: (get(env, "certificate", namespace, "manual") or {})["status"]["revision"] == 2,
        2,
        "renewed once, not more",
    )
    shown = subprocess.run(
        [sys.executable, "-m", "evercert", "status", "manual", "-n", namespace, "-o", "wide"],
        check=True,
        env=environment,
        capture_output=True,
        text=True,
    ).stdout
    [row] = read_table(shown)
    assert (row["NAME"], row["READY"], row["REVISION"]) == ("manual", "True", "2")


def test_edits_an_existing_ingress_in_place_and_restores_it(
    env: LocalEnvironment, operator: Server, namespace: str
) -> None:
    """http01.ingress.name: the challenge path is added to the user's Ingress, then taken out again."""
    users = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "shop", "namespace": namespace},
        "spec": {
            "rules": [
                {
                    "host": "shop.example.org",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "shop", "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ]
        },
    }
    env.apply(users)
    before = (get(env, "ingress", namespace, "shop") or {})["spec"]
    issuer = env.cluster_issuer("in-place")
    issuer["kind"] = "Issuer"
    issuer["metadata"] = {"name": "in-place", "namespace": namespace}
    issuer["spec"]["acme"]["solvers"] = [{"http01": {"ingress": {"name": "shop"}}}]  # type: ignore[index]
    env.apply(issuer)
    env.apply(certificate(namespace, "shop", ["shop.example.org"], issuer="in-place", kind="Issuer"))
    wait_ready(env, namespace, "shop", process=operator)
    assert_valid_tls_secret(env, namespace, "shop-tls", ["shop.example.org"])
    wait_for(lambda: (get(env, "ingress", namespace, "shop") or {})["spec"] == before, 30, "Ingress restored")
    ingresses = env.controlplane.kubectl("get", "ingresses", "-n", namespace, "-o", "name").split()
    assert ingresses == ["ingress.networking.k8s.io/shop"]


def test_each_issuance_is_reported_once(env: LocalEnvironment, operator: Server, namespace: str) -> None:
    """Writing its Secret wakes a Certificate's daemon at once; it must not act on a body from before
    its own status writes (which still shows the order just finished) and report the issuance twice."""
    names = [f"once{i}" for i in range(20)]
    for name in names:
        env.apply(certificate(namespace, name, [f"{name}.example.org"]))
    for name in names:
        wait_ready(env, namespace, name, process=operator)

    def revisions() -> set[int]:
        return {(get(env, "certificate", namespace, name) or {})["status"]["revision"] for name in names}

    # A second report would come within milliseconds of the first.
    holds(lambda: revisions() == {1}, 2, "each Certificate at revision 1")
    events = env.controlplane.kubectl("get", "events", "-n", namespace, "-o", "jsonpath={.items[*].reason}")
    assert events.split().count("Issued") == len(names)
