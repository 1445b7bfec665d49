"""`spec.secretCopies`: the namespaces that get a copy of the Certificate's Secret (a label selector);
each target namespace opts in on its side (constants.LABEL_ACCEPT_COPIES_FROM)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core.constants import SELECTOR_DOES_NOT_EXIST
from ..core.errors import InvalidSpec
from .fields import Fields
from .names import check_labels

OPERATORS = ("In", "NotIn", "Exists", SELECTOR_DOES_NOT_EXIST)


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.operator == "Exists":
            return present
        if self.operator == SELECTOR_DOES_NOT_EXIST:
            return not present
        inside = present and labels[self.key] in self.values
        return inside if self.operator == "In" else not inside


@dataclass(frozen=True)
class LabelSelector:
    """Kubernetes' label selector: every matchLabels pair and every expression must hold."""

    match_labels: Mapping[str, str] = field(default_factory=dict)
    match_expressions: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        pairs = all(labels.get(key) == value for key, value in self.match_labels.items())
        return pairs and all(requirement.matches(labels) for requirement in self.match_expressions)


@dataclass(frozen=True)
class SecretCopies:
    namespace_selector: LabelSelector


def parse_secret_copies(spec: Fields) -> SecretCopies | None:
    section = spec.section("secretCopies")
    if not section.data:
        return None
    if not section.has("namespaceSelector"):
        raise InvalidSpec(f"{section.path_of('namespaceSelector')} must be set (a label selector)")
    return SecretCopies(_selector(section.section("namespaceSelector")))


def _selector(section: Fields) -> LabelSelector:
    labels = check_labels(section.str_map("matchLabels"), section.path_of("matchLabels"))
    return LabelSelector(dict(labels), tuple(_requirement(e) for e in section.sections("matchExpressions")))


def _requirement(expression: Fields) -> Requirement:
    operator = expression.choice("operator", OPERATORS, "")
    values = expression.str_list("values")
    if operator in ("In", "NotIn") and not values:
        raise InvalidSpec(f"{expression.path_of('values')} must list values for operator {operator}")
    if operator in ("Exists", SELECTOR_DOES_NOT_EXIST) and values:
        raise InvalidSpec(f"{expression.path_of('values')} must be empty for operator {operator}")
    return Requirement(expression.required_str("key"), operator, values)


def asks_for_copies(body: Mapping[str, Any]) -> bool:
    """True when the Certificate body sets spec.secretCopies (valid or not: its look says which)."""
    return bool((body.get("spec") or {}).get("secretCopies"))


def copied_secret_name(body: Mapping[str, Any]) -> str:
    """spec.secretName, the name every copy has, read without validating the rest (a deleted body)."""
    return str((body.get("spec") or {}).get("secretName") or "")
