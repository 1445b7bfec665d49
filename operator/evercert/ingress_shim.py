"""The ingress-shim, pure: the Certificates an annotated Ingress asks for, and the changes that make a
namespace's Certificates match what its Ingresses ask for.

A Certificate is named after its secretName and controlled by the Ingress that asked first. Ingresses
that ask for one secretName with the same hosts and settings share it; otherwise the Certificate keeps
following its controller and the conflict is reported on every Ingress involved and on the Certificate,
so that they never overwrite each other.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import conditions, constants
from .api.certificate import KEY_ALGORITHMS, ROTATION_POLICIES, parse_certificate
from .api.durations import parse_duration
from .api.issuer import ISSUER_KINDS
from .errors import InvalidSpec

INGRESS_API_VERSION = "networking.k8s.io/v1"
CONFLICT_CONDITION = "IngressConflict"
REASON_CONFLICT = "SecretNameConflict"
REASON_INVALID = "InvalidIngress"

# With the compatibility switch on, cert-manager's name for an annotation counts when evercert's is absent.
CERT_MANAGER_ANNOTATIONS = {
    constants.ANNOTATION_INGRESS_ISSUER: "cert-manager.io/issuer",
    constants.ANNOTATION_INGRESS_CLUSTER_ISSUER: "cert-manager.io/cluster-issuer",
    constants.ANNOTATION_INGRESS_DURATION: "cert-manager.io/duration",
    constants.ANNOTATION_INGRESS_RENEW_BEFORE: "cert-manager.io/renew-before",
    constants.ANNOTATION_INGRESS_PRIVATE_KEY_ALGORITHM: "cert-manager.io/private-key-algorithm",
    constants.ANNOTATION_INGRESS_PRIVATE_KEY_SIZE: "cert-manager.io/private-key-size",
    constants.ANNOTATION_INGRESS_PRIVATE_KEY_ROTATION_POLICY: "cert-manager.io/private-key-rotation-policy",
    constants.ANNOTATION_HTTP01_INGRESS_CLASS: "acme.cert-manager.io/http01-ingress-class",
}
CERT_MANAGER_ISSUER_KIND = "cert-manager.io/issuer-kind"
CERT_MANAGER_ISSUER_GROUP = "cert-manager.io/issuer-group"
_ISSUER = constants.ANNOTATION_INGRESS_ISSUER
_CLUSTER_ISSUER = constants.ANNOTATION_INGRESS_CLUSTER_ISSUER
# The Certificate annotations the shim owns; other annotations on a Certificate are left alone.
SHIM_ANNOTATIONS = (constants.ANNOTATION_HTTP01_INGRESS_CLASS,)


@dataclass(frozen=True)
class ShimOptions:
    cert_manager_annotations: bool = False
    # (kind, name) of the issuer for `kubernetes.io/tls-acme: "true"`; only read with the switch on.
    default_issuer: tuple[str, str] | None = None


@dataclass(frozen=True)
class IngressRef:
    name: str
    uid: str
    created: str = ""  # creationTimestamp: the first Ingress to ask for a secretName controls it

    def event_target(self, namespace: str) -> dict[str, Any]:
        """What kopf.event needs to post an Event about this Ingress."""
        return {
            "apiVersion": INGRESS_API_VERSION,
            "kind": "Ingress",
            "metadata": {"name": self.name, "namespace": namespace, "uid": self.uid},
        }


@dataclass(frozen=True)
class DesiredCertificate:
    """One Certificate an Ingress asks for: named after its secretName."""

    name: str
    spec: Mapping[str, Any]
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class IngressRequest:
    """What one annotated Ingress asks for, and what is wrong with the rest of it."""

    ingress: IngressRef
    certificates: tuple[DesiredCertificate, ...]
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExistingCertificate:
    """What the plan needs to know of a Certificate in the cluster."""

    name: str
    uid: str
    owner_uid: str | None  # the controlling Ingress; None for Certificates not made from an Ingress
    spec: Mapping[str, Any]
    annotations: Mapping[str, str]
    conflict: str | None  # the message of the conflict condition, if set


@dataclass(frozen=True)
class Write:
    """Create the Certificate (`existing` is None) or bring it in line with its controlling Ingress."""

    desired: DesiredCertificate
    owner: IngressRef
    existing: ExistingCertificate | None


@dataclass(frozen=True)
class Delete:
    existing: ExistingCertificate


@dataclass(frozen=True)
class Report:
    """Set (a message) or clear (None) the conflict condition of a Certificate; tell the Ingresses."""

    certificate: ExistingCertificate
    message: str | None
    ingresses: tuple[IngressRef, ...]


Action = Write | Delete | Report


def ingress_request(body: Mapping[str, Any], options: ShimOptions) -> IngressRequest | None:
    """The Certificates an Ingress asks for; None when its annotations do not ask evercert for any."""
    metadata = body.get("metadata") or {}
    annotations = _effective_annotations(metadata.get("annotations") or {}, options)
    ref = IngressRef(metadata.get("name", ""), metadata.get("uid", ""), metadata.get("creationTimestamp", ""))
    try:
        issuer_ref = _issuer_ref(annotations, options)
        if issuer_ref is None:
            return None
        spec_fields = _spec_fields(annotations)
    except InvalidSpec as exc:
        return IngressRequest(ref, (), (exc.message,))
    extra = {k: annotations[k] for k in SHIM_ANNOTATIONS if annotations.get(k)}
    hosts, problems = _hosts_by_secret(body.get("spec") or {})
    certificates = []
    for secret_name, names in hosts.items():
        desired = DesiredCertificate(
            secret_name,
            {"secretName": secret_name, "dnsNames": names, "issuerRef": issuer_ref, **spec_fields},
            extra,
        )
        try:
            parse_certificate(certificate_body(desired, metadata.get("namespace", ""), ref))
        except InvalidSpec as exc:
            problems.append(f"the Certificate for secretName {secret_name!r} would be invalid: {exc.message}")
            continue
        certificates.append(desired)
    return IngressRequest(ref, tuple(certificates), tuple(problems))


def _effective_annotations(annotations: Mapping[str, str], options: ShimOptions) -> dict[str, str]:
    """evercert's annotations, filled in from cert-manager's names when the switch is on (evercert's win)."""
    ours = {k: v for k, v in annotations.items() if k.startswith(f"{constants.GROUP}/")}
    if not options.cert_manager_annotations or not _for_cert_manager_issuers(annotations):
        return ours
    names = CERT_MANAGER_ANNOTATIONS.items()
    theirs = {key: annotations[name] for key, name in names if annotations.get(name)}
    if annotations.get(CERT_MANAGER_ISSUER_KIND) == "ClusterIssuer" and _ISSUER in theirs:
        theirs[_CLUSTER_ISSUER] = theirs.pop(_ISSUER)
    if _ISSUER in ours or _CLUSTER_ISSUER in ours:
        theirs.pop(_ISSUER, None)
        theirs.pop(_CLUSTER_ISSUER, None)
    if constants.ANNOTATION_TLS_ACME in annotations:
        theirs[constants.ANNOTATION_TLS_ACME] = annotations[constants.ANNOTATION_TLS_ACME]
    return {**theirs, **ours}


def _for_cert_manager_issuers(annotations: Mapping[str, str]) -> bool:
    """False when cert-manager's annotations name an external issuer (another group or kind)."""
    group = annotations.get(CERT_MANAGER_ISSUER_GROUP) or constants.CERT_MANAGER_GROUP
    kind = annotations.get(CERT_MANAGER_ISSUER_KIND) or "Issuer"
    return group in (constants.CERT_MANAGER_GROUP, constants.GROUP) and kind in ISSUER_KINDS


def _issuer_ref(annotations: Mapping[str, str], options: ShimOptions) -> dict[str, str] | None:
    """issuerRef from the annotations; None when the Ingress is not meant for evercert."""
    issuer, cluster_issuer = annotations.get(_ISSUER), annotations.get(_CLUSTER_ISSUER)
    if issuer and cluster_issuer:
        raise InvalidSpec(f"set only one of {_ISSUER} and {_CLUSTER_ISSUER}")
    if cluster_issuer:
        return {"name": cluster_issuer, "kind": "ClusterIssuer"}
    if issuer:
        return {"name": issuer, "kind": "Issuer"}
    if annotations.get(constants.ANNOTATION_TLS_ACME) == "true":
        if options.default_issuer is None:
            raise InvalidSpec(
                f"{constants.ANNOTATION_TLS_ACME} is set but evercert has no default issuer: set "
                f"{_CLUSTER_ISSUER} on the Ingress, or configure one (the chart's ingressShim.defaultIssuer)"
            )
        kind, name = options.default_issuer
        return {"name": name, "kind": kind}
    return None


def _spec_fields(annotations: Mapping[str, str]) -> dict[str, Any]:
    """The Certificate spec fields the optional annotations set, each checked under its annotation's name."""
    spec: dict[str, Any] = {}
    for key, name in (
        (constants.ANNOTATION_INGRESS_DURATION, "duration"),
        (constants.ANNOTATION_INGRESS_RENEW_BEFORE, "renewBefore"),
    ):
        if annotations.get(key):
            parse_duration(annotations[key], key)
            spec[name] = annotations[key]
    private_key: dict[str, Any] = {}
    for key, name, allowed in (
        (constants.ANNOTATION_INGRESS_PRIVATE_KEY_ALGORITHM, "algorithm", KEY_ALGORITHMS),
        (constants.ANNOTATION_INGRESS_PRIVATE_KEY_ROTATION_POLICY, "rotationPolicy", ROTATION_POLICIES),
    ):
        if annotations.get(key):
            if annotations[key] not in allowed:
                raise InvalidSpec(f"{key} must be one of {', '.join(allowed)}, not {annotations[key]!r}")
            private_key[name] = annotations[key]
    size = annotations.get(constants.ANNOTATION_INGRESS_PRIVATE_KEY_SIZE)
    if size:
        if not size.isdigit():
            raise InvalidSpec(f"{constants.ANNOTATION_INGRESS_PRIVATE_KEY_SIZE}: {size!r} is not a key size")
        private_key["size"] = int(size)
    if private_key:
        spec["privateKey"] = private_key
    return spec


def _hosts_by_secret(spec: Mapping[str, Any]) -> tuple[dict[str, list[str]], list[str]]:
    """spec.tls as secretName → hosts (entries sharing a secretName are merged), and the unusable entries."""
    hosts: dict[str, list[str]] = {}
    problems: list[str] = []
    entries = spec.get("tls") or []
    if not entries:
        problems.append("the Ingress has no spec.tls entries: add one with hosts and a secretName")
    for i, entry in enumerate(entries):
        secret_name, names = entry.get("secretName"), entry.get("hosts") or []
        if not secret_name:
            problems.append(f"spec.tls[{i}] has no secretName: name the Secret evercert should write")
        elif not names:
            problems.append(f"spec.tls[{i}] (secretName {secret_name!r}) lists no hosts to certify")
        else:
            merged = hosts.setdefault(secret_name, [])
            merged.extend(name for name in names if name not in merged)
    return hosts, problems


def owner_reference(ingress: IngressRef) -> dict[str, Any]:
    """The Ingress as controller, so that garbage collection deletes the Certificate with it.

    No blockOwnerDeletion: setting it needs `update` on ingresses/finalizers, which evercert is not granted.
    """
    return {
        "apiVersion": INGRESS_API_VERSION,
        "kind": "Ingress",
        "name": ingress.name,
        "uid": ingress.uid,
        "controller": True,
    }


def certificate_body(desired: DesiredCertificate, namespace: str, owner: IngressRef) -> dict[str, Any]:
    """A new Certificate object for `desired`, controlled by `owner`."""
    metadata: dict[str, Any] = {
        "name": desired.name,
        "namespace": namespace,
        "ownerReferences": [owner_reference(owner)],
    }
    if desired.annotations:
        metadata["annotations"] = dict(desired.annotations)
    return {
        "apiVersion": constants.API_VERSION,
        "kind": "Certificate",
        "metadata": metadata,
        "spec": copy.deepcopy(dict(desired.spec)),
    }


def updated_certificate(
    current: Mapping[str, Any], desired: DesiredCertificate, owner: IngressRef
) -> dict[str, Any]:
    """`current` with the shim's fields as `desired` asks and `owner` as controller; the rest is kept."""
    body = copy.deepcopy(dict(current))
    metadata = body.setdefault("metadata", {})
    annotations = {k: v for k, v in (metadata.get("annotations") or {}).items() if k not in SHIM_ANNOTATIONS}
    metadata["annotations"] = {**annotations, **desired.annotations}
    others = [ref for ref in metadata.get("ownerReferences") or [] if not ref.get("controller")]
    metadata["ownerReferences"] = [*others, owner_reference(owner)]
    body["spec"] = {**_unmanaged(body.get("spec") or {}), **copy.deepcopy(dict(desired.spec))}
    return body


# The spec fields the shim sets; anything else on its Certificates (e.g. secretTemplate) is left alone.
_MANAGED_FIELDS = ("secretName", "dnsNames", "issuerRef", "duration", "renewBefore", "privateKey")


def _unmanaged(spec: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in spec.items() if k not in _MANAGED_FIELDS}


def _managed(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The managed fields, with issuerRef cut to name and kind (a defaulted group is no difference)."""
    view = {k: v for k, v in spec.items() if k in _MANAGED_FIELDS}
    if isinstance(view.get("issuerRef"), Mapping):
        view["issuerRef"] = {k: view["issuerRef"].get(k) for k in ("name", "kind")}
    return view


def existing_certificate(body: Mapping[str, Any]) -> ExistingCertificate:
    metadata = body.get("metadata") or {}
    controller = next((ref for ref in metadata.get("ownerReferences") or [] if ref.get("controller")), {})
    from_ingress = controller.get("kind") == "Ingress" and controller.get("apiVersion") == INGRESS_API_VERSION
    conflict = conditions.find((body.get("status") or {}).get("conditions"), CONFLICT_CONDITION)
    annotations = metadata.get("annotations") or {}
    return ExistingCertificate(
        name=metadata.get("name", ""),
        uid=metadata.get("uid", ""),
        owner_uid=controller.get("uid") if from_ingress else None,
        spec=copy.deepcopy(_managed(body.get("spec") or {})),
        annotations={k: annotations[k] for k in SHIM_ANNOTATIONS if k in annotations},
        conflict=conflict.get("message") if conflict else None,
    )


def concerns_shim(existing: ExistingCertificate, requests: Iterable[IngressRequest]) -> bool:
    """Whether a Certificate event matters to the shim: made from an Ingress, asked for, or reported on."""
    return (
        existing.owner_uid is not None
        or existing.conflict is not None
        or any(desired.name == existing.name for request in requests for desired in request.certificates)
    )


def plan(requests: Iterable[IngressRequest], certificates: Mapping[str, ExistingCertificate]) -> list[Action]:
    """What to change so that the namespace's Certificates are what its Ingresses ask for."""
    claims: dict[str, list[tuple[IngressRef, DesiredCertificate]]] = {}
    for request in sorted(requests, key=lambda r: (r.ingress.created, r.ingress.name)):
        for desired in request.certificates:
            claims.setdefault(desired.name, []).append((request.ingress, desired))
    names = set(claims) | {n for n, c in certificates.items() if c.owner_uid or c.conflict}
    actions: list[Action] = []
    for name in sorted(names):
        actions.extend(_plan_one(name, claims.get(name, []), certificates.get(name)))
    return actions


def _plan_one(
    name: str, claims: Sequence[tuple[IngressRef, DesiredCertificate]], existing: ExistingCertificate | None
) -> list[Action]:
    if existing is not None and existing.owner_uid is None:
        # Made by hand or by something else: reported, never taken over.
        message = _not_from_ingress_message(name, [ingress for ingress, _ in claims]) if claims else None
        return _report(existing, message, tuple(ingress for ingress, _ in claims))
    if not claims:
        return [Delete(existing)] if existing is not None else []
    owner, desired = next(
        ((i, d) for i, d in claims if existing is not None and i.uid == existing.owner_uid), claims[0]
    )
    actions: list[Action] = []
    if existing is None or existing.owner_uid != owner.uid or not _matches(existing, desired):
        actions.append(Write(desired, owner, existing))
    rivals = tuple(ingress for ingress, wanted in claims if wanted != desired)
    if existing is not None:
        message = _conflict_message(name, owner, rivals) if rivals else None
        actions.extend(_report(existing, message, (owner, *rivals)))
    return actions


def _report(
    existing: ExistingCertificate, message: str | None, ingresses: tuple[IngressRef, ...]
) -> list[Action]:
    return [] if existing.conflict == message else [Report(existing, message, ingresses)]


def _matches(existing: ExistingCertificate, desired: DesiredCertificate) -> bool:
    return _managed(desired.spec) == existing.spec and dict(desired.annotations) == dict(existing.annotations)


def _names(ingresses: Iterable[IngressRef]) -> str:
    return ", ".join(repr(ingress.name) for ingress in ingresses)


def _conflict_message(name: str, owner: IngressRef, rivals: Sequence[IngressRef]) -> str:
    return (
        f"Ingresses {_names([owner, *rivals])} ask for Secret {name!r} with different hosts or settings; "
        f"Certificate {name!r} follows Ingress {owner.name!r}, which asked first: "
        "give the other Ingresses another secretName"
    )


def _not_from_ingress_message(name: str, ingresses: Sequence[IngressRef]) -> str:
    return (
        f"Certificate {name!r} was not made from an Ingress, so it does not follow Ingress "
        f"{_names(ingresses)} asking for Secret {name!r}: choose another secretName in the Ingress, "
        "or delete the Certificate"
    )


def conflict_conditions(
    current: Sequence[Mapping[str, Any]] | None, message: str | None, generation: int, now: Any
) -> list[dict[str, Any]]:
    """The Certificate's conditions with the conflict condition set (message) or removed (None)."""
    if message is None:
        return conditions.without_condition(current, CONFLICT_CONDITION)
    return conditions.with_condition(
        current, CONFLICT_CONDITION, True, REASON_CONFLICT, message, generation, now
    )
