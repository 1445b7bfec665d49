"""Certificate specs (cert-manager's field names) as typed values, validated before anything is ordered."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from ..core.constants import ANNOTATION_HTTP01_INGRESS_CLASS, GROUP
from ..core.errors import InvalidSpec
from .copies import SecretCopies, parse_secret_copies
from .durations import format_duration, parse_duration
from .fields import Fields
from .issuer import ISSUER_KINDS, IssuerKey, IssuerKind
from .names import (
    check_annotations,
    check_labels,
    check_object_name,
    normalize_dns_name,
    normalize_ip_address,
)
from .outputs import Outputs, parse_outputs
from .private_key import PrivateKeySpec, parse_private_key
from .renewal import RenewalWindow, renewal_windows

# issuerRef.group values that mean evercert's issuers; cert-manager's is accepted so manifests carry over.
ISSUER_GROUPS = (GROUP, "cert-manager.io")
MAX_DNS_NAMES = 100  # Let's Encrypt's limit of names (DNS names and IP addresses) per certificate
MAX_FALLBACK_ISSUERS = 10
MAX_COMMON_NAME_LENGTH = 64  # X.509 upper bound for a CN
MIN_DURATION = datetime.timedelta(hours=1)


@dataclass(frozen=True)
class IssuerRef:
    name: str
    kind: IssuerKind = "Issuer"
    group: str = GROUP


@dataclass(frozen=True)
class SecretTemplate:
    """Labels and annotations to put on the tls Secret."""

    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class CertificateSpec:
    """What to issue and where to keep it; dns_names is normalized and includes the common name, first.

    `fallback_issuer_refs` (an evercert extension) are tried in turn when `issuer_ref` keeps failing."""

    name: str
    namespace: str
    uid: str = ""
    generation: int = 0
    secret_name: str
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...] = ()
    common_name: str | None = None
    issuer_ref: IssuerRef
    fallback_issuer_refs: tuple[IssuerRef, ...] = ()
    duration: datetime.timedelta | None = None
    renew_before: datetime.timedelta | None = None
    renew_before_percentage: int | None = None
    private_key: PrivateKeySpec = field(default_factory=PrivateKeySpec)
    secret_template: SecretTemplate = field(default_factory=SecretTemplate)
    renewal_windows: tuple[RenewalWindow, ...] = ()
    outputs: Outputs = field(default_factory=Outputs)  # formats and keystores beside tls.crt/tls.key
    secret_copies: SecretCopies | None = None  # copies of the Secret in other namespaces
    # From an annotation (the ingress-shim copies it): the solver Ingress's class instead of the Issuer's.
    solver_ingress_class: str | None = None
    # The Certificate's labels: a solver's selector.matchLabels is matched against them.
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def identifiers(self) -> tuple[str, ...]:
        """Every name the certificate is for: the DNS names, then the IP addresses."""
        return self.dns_names + self.ip_addresses

    @property
    def issuer_refs(self) -> tuple[IssuerRef, ...]:
        """The issuer, then its fallbacks, in the order they are tried."""
        return (self.issuer_ref, *self.fallback_issuer_refs)

    def issuer_key(self, ref: IssuerRef | None = None) -> IssuerKey:
        """The referenced issuer (or `ref`, one of the fallbacks), as the issuer indexes key it."""
        ref = ref or self.issuer_ref
        namespace = self.namespace if ref.kind == "Issuer" else None
        return IssuerKey(ref.kind, namespace, ref.name)


def parse_certificate(body: Mapping[str, Any]) -> CertificateSpec:
    """The validated spec of a Certificate object; InvalidSpec names the field and says what to fix."""
    metadata = Fields(body.get("metadata"), "metadata")
    spec = Fields(body.get("spec"), "spec")
    common_name = _common_name(spec)
    duration = _duration(spec)
    ip_addresses = _ip_addresses(spec)
    issuer_ref = _issuer_ref(spec.section("issuerRef"))
    return CertificateSpec(
        name=metadata.required_str("name"),
        namespace=metadata.required_str("namespace"),
        uid=metadata.optional_str("uid") or "",
        generation=metadata.optional_int("generation") or 0,
        secret_name=check_object_name(spec.required_str("secretName"), spec.path_of("secretName")),
        dns_names=_dns_names(spec, common_name, len(ip_addresses)),
        ip_addresses=ip_addresses,
        common_name=common_name,
        issuer_ref=issuer_ref,
        fallback_issuer_refs=_fallback_issuer_refs(spec, issuer_ref),
        duration=duration,
        renew_before=_renew_before(spec, duration),
        renew_before_percentage=_renew_before_percentage(spec),
        private_key=parse_private_key(spec.section("privateKey")),
        secret_template=_secret_template(spec.section("secretTemplate")),
        renewal_windows=renewal_windows(spec.section("renewal")),
        outputs=parse_outputs(spec),
        secret_copies=parse_secret_copies(spec),
        solver_ingress_class=_solver_ingress_class(metadata.section("annotations")),
        labels=metadata.str_map("labels"),
    )


def _solver_ingress_class(annotations: Fields) -> str | None:
    name = annotations.optional_str(ANNOTATION_HTTP01_INGRESS_CLASS)
    path = f"{annotations.path}[{ANNOTATION_HTTP01_INGRESS_CLASS!r}]"
    return None if name is None else check_object_name(name, path)


def _common_name(spec: Fields) -> str | None:
    common_name = spec.optional_str("commonName")
    if common_name is None:
        return None
    path = spec.path_of("commonName")
    if len(common_name.removesuffix(".")) > MAX_COMMON_NAME_LENGTH:
        raise InvalidSpec(
            f"{path} is {len(common_name)} characters long but may have at most {MAX_COMMON_NAME_LENGTH}: "
            "leave it unset and list the name in spec.dnsNames"
        )
    return normalize_dns_name(common_name, path, wildcard=True)


def _dns_names(spec: Fields, common_name: str | None, ip_count: int) -> tuple[str, ...]:
    """spec.dnsNames normalized and de-duplicated in order, with the common name first if missing."""
    path = spec.path_of("dnsNames")
    given = spec.str_list("dnsNames")
    names = list(
        dict.fromkeys(normalize_dns_name(name, f"{path}[{i}]", wildcard=True) for i, name in enumerate(given))
    )
    if common_name is not None and common_name not in names:
        names.insert(0, common_name)
    if not names and not ip_count:
        raise InvalidSpec(
            f"{path} must list at least one DNS name (or set spec.commonName or spec.ipAddresses)"
        )
    if len(names) + ip_count > MAX_DNS_NAMES:
        raise InvalidSpec(
            f"{path} and spec.ipAddresses have {len(names) + ip_count} names but ACME CAs such as "
            "Let's Encrypt accept at most "
            f"{MAX_DNS_NAMES} per certificate: split them over several Certificates"
        )
    return tuple(names)


def _ip_addresses(spec: Fields) -> tuple[str, ...]:
    """spec.ipAddresses in canonical text, de-duplicated in order."""
    path = spec.path_of("ipAddresses")
    given = spec.str_list("ipAddresses")
    addresses = (normalize_ip_address(address, f"{path}[{i}]") for i, address in enumerate(given))
    return tuple(dict.fromkeys(addresses))


def _fallback_issuer_refs(spec: Fields, primary: IssuerRef) -> tuple[IssuerRef, ...]:
    path = spec.path_of("fallbackIssuerRefs")
    refs = tuple(_issuer_ref(ref) for ref in spec.sections("fallbackIssuerRefs"))
    if len(refs) > MAX_FALLBACK_ISSUERS:
        raise InvalidSpec(f"{path} names {len(refs)} issuers but may name at most {MAX_FALLBACK_ISSUERS}")
    if len(set((primary, *refs))) != len(refs) + 1:
        raise InvalidSpec(f"{path} must name issuers other than spec.issuerRef, each once")
    return refs


def _issuer_ref(ref: Fields) -> IssuerRef:
    group = ref.optional_str("group") or GROUP
    if group not in ISSUER_GROUPS:
        raise InvalidSpec(
            f"{ref.path_of('group')}: {group!r} is not served by evercert: use {GROUP} or leave it unset"
        )
    return IssuerRef(
        name=check_object_name(ref.required_str("name"), ref.path_of("name")),
        kind=cast(IssuerKind, ref.choice("kind", ISSUER_KINDS, "Issuer")),
        group=GROUP,
    )


def _optional_duration(spec: Fields, key: str) -> datetime.timedelta | None:
    text = spec.optional_str(key)
    return None if text is None else parse_duration(text, spec.path_of(key))


def _duration(spec: Fields) -> datetime.timedelta | None:
    duration = _optional_duration(spec, "duration")
    if duration is not None and duration < MIN_DURATION:
        raise InvalidSpec(
            f"{spec.path_of('duration')} is {format_duration(duration)} but must be at least "
            f"{format_duration(MIN_DURATION)}"
        )
    return duration


def _renew_before(spec: Fields, duration: datetime.timedelta | None) -> datetime.timedelta | None:
    renew_before = _optional_duration(spec, "renewBefore")
    if renew_before is None:
        return None
    path = spec.path_of("renewBefore")
    if spec.has("renewBeforePercentage"):
        raise InvalidSpec(f"set only one of {path} and {spec.path_of('renewBeforePercentage')}")
    if not renew_before:
        raise InvalidSpec(f"{path} must be longer than 0s")
    if duration is not None and renew_before >= duration:
        raise InvalidSpec(
            f"{path} ({format_duration(renew_before)}) must be shorter than spec.duration "
            f"({format_duration(duration)}), or the certificate would be renewed as soon as it is issued"
        )
    return renew_before


def _renew_before_percentage(spec: Fields) -> int | None:
    percentage = spec.optional_int("renewBeforePercentage")
    if percentage is not None and not 1 <= percentage <= 99:
        raise InvalidSpec(
            f"{spec.path_of('renewBeforePercentage')} is {percentage} but must be between 1 and 99 "
            "(the share of the lifetime left when renewal starts)"
        )
    return percentage


def _secret_template(section: Fields) -> SecretTemplate:
    return SecretTemplate(
        labels=check_labels(section.str_map("labels"), section.path_of("labels")),
        annotations=check_annotations(section.str_map("annotations"), section.path_of("annotations")),
    )
