"""Which solver answers each name: cert-manager's precedence, as a table."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from evercert.api.dns01 import Dns01Solver, Rfc2136Provider, SolverSelector
from evercert.api.issuer import Http01IngressSolver, Solver
from evercert.certificates.solver_choice import DNS01, HTTP01, choose_for_names, choose_solver
from evercert.core.errors import InvalidSpec


def http(**selector: object) -> Http01IngressSolver:
    return Http01IngressSolver(ingress_class_name="nginx", selector=_selector(selector))


def dns(**selector: object) -> Dns01Solver:
    return Dns01Solver(provider=Rfc2136Provider(host="192.0.2.53"), selector=_selector(selector))


def _selector(fields: Mapping[str, object]) -> SolverSelector | None:
    if not fields:
        return None
    return SolverSelector(
        dns_names=tuple(fields.get("names", ())),  # type: ignore[arg-type]
        dns_zones=tuple(fields.get("zones", ())),  # type: ignore[arg-type]
        match_labels=dict(fields.get("labels", {})),  # type: ignore[call-overload]
    )


LABELS = {"team": "shop", "dns": "internal"}
ROWS: list[tuple[str, list[Solver], str, int | None]] = [
    ("the only solver without a selector", [http()], "www.example.com", 0),
    ("ties: the first listed wins", [http(), dns()], "www.example.com", 0),
    (
        "a matching dnsNames beats a matching zone",
        [dns(zones=["example.com"]), http(names=["a.example.com"])],
        "a.example.com",
        1,
    ),
    (
        "dnsNames that do not match exclude the solver",
        [http(names=["b.example.com"]), dns()],
        "a.example.com",
        1,
    ),
    (
        "the longest zone wins",
        [http(zones=["example.com"]), dns(zones=["dns.example.com"])],
        "a.dns.example.com",
        1,
    ),
    ("a zone holds its own apex", [http(), dns(zones=["example.com"])], "example.com", 1),
    (
        "a zone match beats labels",
        [http(labels={"team": "shop"}), dns(zones=["example.com"])],
        "a.example.com",
        1,
    ),
    ("labels beat no selector", [http(), dns(labels={"team": "shop"})], "a.example.com", 1),
    ("more labels win", [dns(labels={"team": "shop"}), http(labels=LABELS)], "a.example.com", 1),
    (
        "labels that do not match exclude the solver",
        [dns(labels={"team": "other"}), http()],
        "a.example.com",
        1,
    ),
    (
        "an empty selector does not beat an earlier nil one",
        [http(), dns(names=[], zones=[])],
        "a.example.com",
        0,
    ),
    ("no selector listed after a selector loses", [dns(labels={"team": "shop"}), http()], "a.example.com", 0),
    ("a wildcard takes only a DNS-01 solver", [http(), dns(zones=["example.com"])], "*.example.com", 1),
    (
        "a wildcard matches a dnsNames entry written as the wildcard",
        [dns(), dns(names=["*.example.com"])],
        "*.example.com",
        1,
    ),
    ("a wildcard with only HTTP-01 solvers has none", [http()], "*.example.com", None),
    ("an IP address takes only an HTTP-01 solver", [dns(), http()], "192.0.2.1", 1),
    ("names outside every selector have none", [dns(zones=["example.org"])], "a.example.com", None),
]


@pytest.mark.parametrize(
    ("solvers", "name", "expected"), [row[1:] for row in ROWS], ids=[row[0] for row in ROWS]
)
def test_solver_for_a_name(solvers: list[Solver], name: str, expected: int | None) -> None:
    choice = choose_solver(solvers, name, LABELS)
    assert (choice.index if choice else None) == expected


def test_only_the_challenge_types_the_ca_offers_count() -> None:
    choice = choose_solver([dns(zones=["example.com"]), http()], "a.example.com", {}, offered=(HTTP01,))
    assert choice is not None and choice.index == 1 and choice.challenge_type == HTTP01
    choice = choose_solver([http(), dns()], "a.example.com", {}, offered=(DNS01,))
    assert choice is not None and choice.challenge_type == DNS01


def test_a_wildcard_without_a_dns01_solver_is_refused_naming_dns01() -> None:
    with pytest.raises(InvalidSpec) as error:
        choose_for_names([http()], ["example.com", "*.example.com"], {})
    assert (
        "'*.example.com' is a wildcard name, which only a DNS-01 solver can validate" in error.value.message
    )
    assert "add a dns01 solver" in error.value.message


def test_a_name_no_selector_matches_is_refused() -> None:
    with pytest.raises(InvalidSpec) as error:
        choose_for_names([dns(zones=["example.org"])], ["a.example.com"], {})
    assert error.value.message.startswith("no solver of the issuer matches 'a.example.com'")


def test_mixed_http01_and_dns01_in_one_certificate() -> None:
    solvers = [http(), dns(zones=["dns.example.com"])]
    chosen = choose_for_names(solvers, ["www.example.com", "*.dns.example.com", "dns.example.com"], {})
    assert {name: c.challenge_type for name, c in chosen.items()} == {
        "www.example.com": HTTP01,
        "*.dns.example.com": DNS01,
        "dns.example.com": DNS01,
    }
