"""Which of an issuer's solvers answers each name: cert-manager's precedence, as a pure function.

A solver fits a name when it offers the challenge type the CA allows (wildcards: DNS-01 only) and its
selector matches. Among fitting solvers: matching `dnsNames` beats matching `dnsZones` (the longest
zone wins) beats `matchLabels` (more labels win) beats no selector; on a tie the first listed wins."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..api.dns01 import Dns01Solver, SolverSelector
from ..api.issuer import Solver
from ..api.names import is_ip_address
from ..core.errors import InvalidSpec

HTTP01 = "http-01"
DNS01 = "dns-01"


@dataclass(frozen=True)
class Choice:
    """The solver picked for one name, and its index in `spec.acme.solvers`."""

    index: int
    solver: Solver

    @property
    def challenge_type(self) -> str:
        return challenge_type(self.solver)


def challenge_type(solver: Solver) -> str:
    return DNS01 if isinstance(solver, Dns01Solver) else HTTP01


def choose_solver(
    solvers: Sequence[Solver],
    name: str,
    labels: Mapping[str, str],
    offered: Sequence[str] = (HTTP01, DNS01),
) -> Choice | None:
    """The solver for `name` (`*.x` for a wildcard), or None when none fits."""
    if name.startswith("*."):
        offered = [kind for kind in offered if kind == DNS01]
    elif is_ip_address(name):
        offered = [kind for kind in offered if kind == HTTP01]
    best: tuple[Choice, tuple[int, int, int]] | None = None
    for index, solver in enumerate(solvers):
        if challenge_type(solver) not in offered:
            continue
        rank = _rank(solver.selector, name, labels)
        if rank is None:
            continue
        if best is None or rank > best[1]:
            best = Choice(index, solver), rank
    return best[0] if best else None


def _rank(
    selector: SolverSelector | None, name: str, labels: Mapping[str, str]
) -> tuple[int, int, int] | None:
    """How specifically the selector matches `name` (higher is more specific), None when it does not.

    (names matched, labels of the longest zone matched, labels matched); no selector ranks lowest (a
    later solver must rank higher to win)."""
    if selector is None:
        return (0, 0, 0)
    if any(labels.get(key) != value for key, value in selector.match_labels.items()):
        return None
    names = 1 if name in selector.dns_names else 0
    if selector.dns_names and not names:
        return None
    zone = max((_labels(zone) for zone in selector.dns_zones if _in_zone(name, zone)), default=0)
    if selector.dns_zones and not zone:
        return None
    return (names, zone, len(selector.match_labels))


def _in_zone(name: str, zone: str) -> bool:
    bare = name.removeprefix("*.")
    return bare == zone or bare.endswith("." + zone)


def _labels(zone: str) -> int:
    return len(zone.split("."))


def choose_for_names(
    solvers: Sequence[Solver], names: Sequence[str], labels: Mapping[str, str]
) -> dict[str, Choice]:
    """The solver of every DNS name of a Certificate; InvalidSpec when a name has none (naming DNS-01
    for a wildcard)."""
    chosen: dict[str, Choice] = {}
    for name in names:
        choice = choose_solver(solvers, name, labels)
        if choice is None:
            raise InvalidSpec(_no_solver_message(solvers, name))
        chosen[name] = choice
    return chosen


def _no_solver_message(solvers: Sequence[Solver], name: str) -> str:
    if name.startswith("*."):
        wildcard = f"{name!r} is a wildcard name, which only a DNS-01 solver can validate"
        if not any(isinstance(solver, Dns01Solver) for solver in solvers):
            return (
                f"{wildcard}: the issuer has only HTTP-01 solvers; add a dns01 solver (rfc2136, acmeDNS "
                "or webhook) for it"
            )
        return f"{wildcard}: no dns01 solver's selector matches it"
    return (
        f"no solver of the issuer matches {name!r}: check the solvers' selectors (dnsNames, dnsZones, "
        "matchLabels)"
    )
