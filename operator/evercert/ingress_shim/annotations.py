"""An Ingress's annotations as the shim reads them: the issuerRef and the Certificate spec fields they set.

With the compatibility switch on, cert-manager's names count where evercert's are absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..api.durations import parse_duration
from ..api.issuer import ISSUER_KINDS
from ..api.private_key import KEY_ALGORITHMS, ROTATION_POLICIES
from ..core import constants
from ..core.errors import InvalidSpec
from ..settings import Settings

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
CERT_MANAGER_ISSUER_KIND = constants.CERT_MANAGER_ANNOTATION_ISSUER_KIND
CERT_MANAGER_ISSUER_GROUP = constants.CERT_MANAGER_ANNOTATION_ISSUER_GROUP
_ISSUER = constants.ANNOTATION_INGRESS_ISSUER
_CLUSTER_ISSUER = constants.ANNOTATION_INGRESS_CLUSTER_ISSUER


@dataclass(frozen=True)
class ShimOptions:
    cert_manager_annotations: bool = False
    # (kind, name) of the issuer for `kubernetes.io/tls-acme: "true"`; only read with the switch on.
    default_issuer: tuple[str, str] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ShimOptions:
        default = (settings.default_issuer_kind, settings.default_issuer_name)
        return cls(settings.cert_manager_annotations, default if settings.default_issuer_name else None)


def effective_annotations(annotations: Mapping[str, str], options: ShimOptions) -> dict[str, str]:
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


def issuer_ref(annotations: Mapping[str, str], options: ShimOptions) -> dict[str, str] | None:
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


def spec_fields(annotations: Mapping[str, str]) -> dict[str, Any]:
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
