"""DNS-01 through RFC 2136 updates to a real BIND 9, validated by Pebble asking BIND: wildcard + apex,
HTTP-01 and DNS-01 mixed in one Certificate by selector, a followed CNAME, and the faults a user meets
(wrong TSIG secret or key, no zone, an update refused), with no TXT value left behind."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from evercert_devenv.dns import DELEGATED_ZONE, LAGGING_ZONE, READ_ONLY_ZONE, SILENT_NAMESERVER, ZONE
from evercert_devenv.environment import CLUSTER_RESOURCE_NAMESPACE, LocalEnvironment
from evercert_devenv.processes import Server

from ..support.cluster import get
from ..support.waiting import wait_for
from .helpers import assert_valid_tls_secret, certificate, solver_objects, wait_ready


def ready_issuer(env: LocalEnvironment, operator: Server, manifest: dict[str, Any]) -> str:
    env.apply(manifest)
    name = manifest["metadata"]["name"]
    wait_for(lambda: issuer_ready(env, name), 60, f"ClusterIssuer {name} Ready", operator)
    return name


def issuer_ready(env: LocalEnvironment, name: str) -> bool:
    conditions = ((get(env, "clusterissuer", None, name) or {}).get("status") or {}).get("conditions") or []
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


@pytest.fixture(scope="module")
def dns_issuer(env: LocalEnvironment, operator: Server) -> str:
    return ready_issuer(env, operator, env.dns_cluster_issuer())


def txt_left(env: LocalEnvironment, label: str, zone: str = ZONE) -> list[str]:
    """TXT records in `zone` (read by zone transfer) whose name contains `label`."""
    return [line for line in env.bind.txt_records(zone) if label in line]


def issuing_condition(env: LocalEnvironment, namespace: str, name: str) -> dict[str, Any]:
    conditions = ((get(env, "certificate", namespace, name) or {}).get("status") or {}).get(
        "conditions"
    ) or []
    return next((c for c in conditions if c["type"] == "Issuing"), {})


def failed_with(env: LocalEnvironment, namespace: str, name: str, reason: str) -> dict[str, Any] | None:
    condition = issuing_condition(env, namespace, name)
    return condition if condition.get("status") == "False" and condition.get("reason") == reason else None


def test_a_wildcard_and_its_apex_are_issued_through_bind(
    env: LocalEnvironment, operator: Server, dns_issuer: str, namespace: str
) -> None:
    apex = f"{namespace}.{ZONE}"
    names = [f"*.{apex}", apex]
    env.apply(certificate(namespace, "wild", names, issuer=dns_issuer))
    wait_ready(env, namespace, "wild", process=operator)
    assert_valid_tls_secret(env, namespace, "wild-tls", [f"www.{apex}", apex])
    cert = get(env, "certificate", namespace, "wild") or {}
    assert not cert["status"].get("order")
    assert txt_left(env, namespace) == []


def test_http01_and_dns01_names_mixed_by_selector(
    env: LocalEnvironment, operator: Server, namespace: str
) -> None:
    solvers = [
        {"http01": {"ingress": {"ingressClassName": "local"}}},
        {"dns01": {"rfc2136": env.rfc2136()}, "selector": {"dnsZones": [ZONE]}},
    ]
    issuer = ready_issuer(env, operator, env.dns_cluster_issuer("mixed-dns", solvers))
    names = [f"web.{namespace}.example.org", f"*.{namespace}.{ZONE}"]
    env.apply(certificate(namespace, "mixed", names, issuer=issuer))
    wait_ready(env, namespace, "mixed", process=operator)
    assert_valid_tls_secret(env, namespace, "mixed-tls", [names[0], f"a.{namespace}.{ZONE}"])
    wait_for(lambda: not solver_objects(env, namespace), 30, "solver objects removed")
    assert txt_left(env, namespace) == []


def test_a_cname_is_followed_into_the_zone_it_points_to(
    env: LocalEnvironment, operator: Server, namespace: str
) -> None:
    # The solver names its own resolver too (the same BIND the operator's setting names).
    follow = {"rfc2136": env.rfc2136(), "cnameStrategy": "Follow", "nameservers": [env.bind.address]}
    solvers = [{"dns01": follow}]
    issuer = ready_issuer(env, operator, env.dns_cluster_issuer("follow-dns", solvers))
    env.apply(certificate(namespace, "alias", [f"alias.{ZONE}"], issuer=issuer))
    wait_ready(env, namespace, "alias", process=operator)
    assert_valid_tls_secret(env, namespace, "alias-tls", [f"alias.{ZONE}"])
    assert txt_left(env, "alias", DELEGATED_ZONE) == []


@pytest.fixture(scope="module")
def wrong_secret_issuer(env: LocalEnvironment, operator: Server) -> Iterator[str]:
    secret = env.tsig_secret(
        CLUSTER_RESOURCE_NAMESPACE, "wrong-tsig", "c2VjcmV0IHRoYXQgQklORCBkb2VzIG5vdCBrbm93"
    )
    env.apply(secret)
    solvers = [{"dns01": {"rfc2136": env.rfc2136(secret="wrong-tsig")}}]
    yield ready_issuer(env, operator, env.dns_cluster_issuer("wrong-secret-dns", solvers))


@pytest.mark.parametrize(
    ("issuer", "name", "reason", "words"),
    [
        ("wrong-secret", "{ns}." + ZONE, "DNS01ProviderError", "(BADSIG)"),
        ("unknown-key", "{ns}." + ZONE, "DNS01ProviderError", "does not know TSIG key 'nobody.' (BADKEY)"),
        (
            "dns",
            "{ns}.nozone.test",
            "DNS01ZoneNotFound",
            "no DNS zone holds _acme-challenge.{ns}.nozone.test.",
        ),
        ("dns", "{ns}." + READ_ONLY_ZONE, "DNS01ProviderError", "refused the update (REFUSED)"),
    ],
)
def test_a_dns_fault_gives_a_clear_condition_and_leaves_no_record(
    env: LocalEnvironment,
    operator: Server,
    dns_issuer: str,
    wrong_secret_issuer: str,
    namespace: str,
    issuer: str,
    name: str,
    reason: str,
    words: str,
) -> None:
    issuers = {"dns": dns_issuer, "wrong-secret": wrong_secret_issuer}
    if issuer == "unknown-key":
        solvers = [{"dns01": {"rfc2136": env.rfc2136(key_name="nobody.")}}]
        issuers[issuer] = ready_issuer(env, operator, env.dns_cluster_issuer("unknown-key-dns", solvers))
    dns_name = name.format(ns=namespace)
    # A name in the good zone too: its value is added, then must go with the failed attempt.
    names = [dns_name] if dns_name.endswith(ZONE) else [f"ok.{namespace}.{ZONE}", dns_name]
    env.apply(certificate(namespace, "faulty", names, issuer=issuers[issuer]))
    condition = wait_for(lambda: failed_with(env, namespace, "faulty", reason), 60, reason, operator)
    assert words.format(ns=namespace) in condition["message"]
    assert env.bind.tsig_secret not in condition["message"]
    assert txt_left(env, namespace) == []


def test_waiting_names_the_silent_nameserver_and_deleting_the_certificate_removes_its_values(
    env: LocalEnvironment, operator: Server, dns_issuer: str, namespace: str
) -> None:
    """lagging.test has a second nameserver that never answers: the value never propagates."""
    env.apply(certificate(namespace, "lag", [f"{namespace}.{LAGGING_ZONE}"], issuer=dns_issuer))
    pending = wait_for(
        lambda: (
            (c := issuing_condition(env, namespace, "lag")).get("reason") == "DNS01PropagationPending" and c
        ),
        30,
        "Issuing says what DNS-01 waits for",
        operator,
    )
    assert f"_acme-challenge.{namespace}.{LAGGING_ZONE}." in pending["message"]
    assert f"ns.{LAGGING_ZONE}. ({SILENT_NAMESERVER}:{env.bind.port})" in pending["message"]
    (record,) = (get(env, "certificate", namespace, "lag") or {})["status"]["order"]["dnsRecords"]
    assert SILENT_NAMESERVER in record["seen"] and "no answer" in record["seen"]
    assert len(txt_left(env, namespace, LAGGING_ZONE)) == 1, "BIND itself serves the value"
    env.controlplane.kubectl("delete", "certificate", "lag", "-n", namespace)
    wait_for(
        lambda: not txt_left(env, namespace, LAGGING_ZONE), 20, "the value removed on deletion", operator
    )
