"""DNS-01 solvers and selectors read from an Issuer's spec.acme.solvers, with cert-manager's names."""

from __future__ import annotations

from typing import Any

import pytest

from evercert.api.dns01 import (
    AcmeDnsProvider,
    Dns01Solver,
    Rfc2136Provider,
    SecretKeyRef,
    SolverSelector,
    WebhookProvider,
    parse_nameserver,
)
from evercert.api.issuer import Http01IngressSolver, parse_issuer
from evercert.core.errors import InvalidSpec

RFC2136 = {
    "nameserver": "192.0.2.53:5353",
    "tsigKeyName": "evercert.",
    "tsigAlgorithm": "HMACSHA256",
    "tsigSecretSecretRef": {"name": "tsig", "key": "secret"},
}


def solvers(*entries: dict[str, Any]) -> tuple[Any, ...]:
    body = {
        "metadata": {"name": "dns"},
        "spec": {
            "acme": {
                "server": "https://acme.example/dir",
                "privateKeySecretRef": {"name": "account"},
                "solvers": list(entries),
            }
        },
    }
    return parse_issuer(body, "ClusterIssuer").solvers


def invalid(*entries: dict[str, Any]) -> str:
    with pytest.raises(InvalidSpec) as error:
        solvers(*entries)
    return error.value.message


def test_reads_an_rfc2136_solver() -> None:
    (solver,) = solvers({"dns01": {"rfc2136": RFC2136}})
    assert solver == Dns01Solver(
        provider=Rfc2136Provider(
            host="192.0.2.53",
            port=5353,
            tsig_key_name="evercert.",
            tsig_algorithm="HMACSHA256",
            tsig_secret=SecretKeyRef("tsig", "secret"),
        )
    )


def test_rfc2136_defaults_to_port_53_and_cert_managers_hmacmd5() -> None:
    (solver,) = solvers(
        {"dns01": {"rfc2136": {**RFC2136, "nameserver": "ns1.example.com", "tsigAlgorithm": None}}}
    )
    assert solver.provider.port == 53 and solver.provider.tsig_algorithm == "HMACMD5"


def test_rfc2136_without_tsig_is_allowed_but_not_half_of_it() -> None:
    (solver,) = solvers({"dns01": {"rfc2136": {"nameserver": "192.0.2.53"}}})
    assert solver.provider.tsig_key_name is None
    message = invalid({"dns01": {"rfc2136": {"nameserver": "192.0.2.53", "tsigKeyName": "k."}}})
    assert "set both tsigKeyName and tsigSecretSecretRef" in message


def test_rfc2136_refuses_an_unknown_algorithm() -> None:
    message = invalid({"dns01": {"rfc2136": {**RFC2136, "tsigAlgorithm": "HMACSHA3"}}})
    assert message.startswith("spec.acme.solvers[0].dns01.rfc2136.tsigAlgorithm must be one of HMACMD5")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("192.0.2.53", ("192.0.2.53", 53)),
        ("192.0.2.53:5353", ("192.0.2.53", 5353)),
        ("[2001:db8::53]:5353", ("2001:db8::53", 5353)),
        ("2001:db8::53", ("2001:db8::53", 53)),
        ("ns1.example.com:53", ("ns1.example.com", 53)),
    ],
)
def test_nameserver_forms(text: str, expected: tuple[str, int]) -> None:
    assert parse_nameserver(text, "nameserver") == expected


@pytest.mark.parametrize("text", ["192.0.2.53:0", "192.0.2.53:http", "bad host:53", ":53"])
def test_bad_nameservers(text: str) -> None:
    with pytest.raises(InvalidSpec, match="nameserver"):
        parse_nameserver(text, "nameserver")


def test_reads_acme_dns_and_webhook_solvers_with_cname_follow() -> None:
    acme_dns = {
        "host": "https://auth.example.org",
        "accountSecretRef": {"name": "acme-dns", "key": "acmedns.json"},
    }
    webhook = {"groupName": "acme.example.org", "solverName": "pdns", "config": {"zone": "example.org"}}
    first, second = solvers(
        {"dns01": {"acmeDNS": acme_dns, "cnameStrategy": "Follow"}}, {"dns01": {"webhook": webhook}}
    )
    assert first == Dns01Solver(
        provider=AcmeDnsProvider("https://auth.example.org", SecretKeyRef("acme-dns", "acmedns.json")),
        cname_strategy="Follow",
    )
    assert second.provider == WebhookProvider("acme.example.org", "pdns", {"zone": "example.org"})


def test_one_provider_per_dns01_solver() -> None:
    message = invalid({"dns01": {"rfc2136": RFC2136, "webhook": {"groupName": "a.b", "solverName": "x"}}})
    assert (
        message
        == "spec.acme.solvers[0].dns01: set exactly one of rfc2136, acmeDNS, webhook (found rfc2136, webhook)"
    )


def test_http01_and_dns01_in_one_solver_are_refused() -> None:
    message = invalid({"http01": {"ingress": {"ingressClassName": "nginx"}}, "dns01": {"rfc2136": RFC2136}})
    assert message.startswith("spec.acme.solvers[0]: set only one of http01 and dns01")


def test_an_unknown_cname_strategy_is_refused() -> None:
    assert "cnameStrategy must be one of None, Follow" in invalid(
        {"dns01": {"rfc2136": RFC2136, "cnameStrategy": "Maybe"}}
    )


def test_selectors_on_both_kinds_of_solver() -> None:
    selector = {
        "dnsNames": ["*.Example.com."],
        "dnsZones": ["dns.example.com"],
        "matchLabels": {"dns": "yes"},
    }
    http, dns = solvers(
        {"http01": {"ingress": {"ingressClassName": "nginx"}}, "selector": {"matchLabels": {"a": "b"}}},
        {"dns01": {"rfc2136": RFC2136}, "selector": selector},
    )
    assert isinstance(http, Http01IngressSolver) and http.selector == SolverSelector(match_labels={"a": "b"})
    assert dns.selector == SolverSelector(("*.example.com",), ("dns.example.com",), {"dns": "yes"})


def test_no_selector_and_an_empty_one_differ() -> None:
    (no_selector,) = solvers({"dns01": {"rfc2136": RFC2136}})
    (empty,) = solvers({"dns01": {"rfc2136": RFC2136}, "selector": {}})
    assert no_selector.selector is None and empty.selector == SolverSelector()


def test_a_bad_selector_name_is_refused_with_its_path() -> None:
    message = invalid({"dns01": {"rfc2136": RFC2136}, "selector": {"dnsZones": ["bad_zone.example"]}})
    assert message.startswith(
        "spec.acme.solvers[0].selector.dnsZones[0]: 'bad_zone.example' is not a valid DNS name"
    )


def test_a_solver_may_name_its_own_recursive_nameservers_by_address() -> None:
    (solver,) = solvers({"dns01": {"rfc2136": RFC2136, "nameservers": ["192.0.2.1", "[2001:db8::1]:5353"]}})
    assert solver.nameservers == ("192.0.2.1", "[2001:db8::1]:5353")
    message = invalid({"dns01": {"rfc2136": RFC2136, "nameservers": ["resolver.example.com"]}})
    assert message.startswith(
        "spec.acme.solvers[0].dns01.nameservers[0]: 'resolver.example.com' must be an IP"
    )
