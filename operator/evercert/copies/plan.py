"""Which namespaces get a copy of a Certificate's Secret, which lose theirs, and which match without
opting in: a pure plan from the namespaces' labels and the facts of the copies already written."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..api.certificate import CertificateSpec
from ..certificates.tls_secret import SecretContents
from ..core import constants


@dataclass(frozen=True)
class CopyPlan:
    write: tuple[str, ...] = ()  # namespaces whose copy is missing or behind the source
    delete: tuple[str, ...] = ()  # namespaces whose copy must go (no match, no opt-in, no secretCopies)
    copied: tuple[str, ...] = ()  # namespaces that hold a current copy once the plan is carried out
    not_accepted: tuple[str, ...] = ()  # match the selector without accepting copies from the source


def copy_of(spec: CertificateSpec) -> str:
    """The value of a copy's ANNOTATION_COPY_OF: the source Certificate."""
    return f"{spec.namespace}/{spec.name}"


def plan_copies(
    spec: CertificateSpec,
    source: SecretContents,
    namespaces: Mapping[str, Mapping[str, str]],
    existing: Mapping[str, SecretContents],
) -> CopyPlan:
    """`namespaces`: every namespace's labels; `existing`: namespace -> this Certificate's copy there."""
    selector = spec.secret_copies.namespace_selector if spec.secret_copies else None
    matching = sorted(
        name
        for name, labels in namespaces.items()
        if name != spec.namespace and selector is not None and selector.matches(labels)
    )
    accepted = [
        n for n in matching if namespaces[n].get(constants.LABEL_ACCEPT_COPIES_FROM) == spec.namespace
    ]
    not_accepted = tuple(n for n in matching if n not in accepted)
    write = tuple(n for n in accepted if n not in existing or not current(existing[n], source))
    delete = tuple(sorted(n for n in existing if n not in accepted))
    return CopyPlan(write, delete, tuple(accepted), not_accepted)


def current(copy: SecretContents, source: SecretContents) -> bool:
    """The copy holds what the source holds: the same certificate, the same outputs."""
    same_certificate = (copy.info and copy.info.serial_hex) == (source.info and source.info.serial_hex)
    outputs = constants.ANNOTATION_OUTPUTS
    same_outputs = copy.annotations.get(outputs) == source.annotations.get(outputs)
    return same_certificate and same_outputs and copy.files == source.files
