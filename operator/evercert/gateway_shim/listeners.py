"""What an annotated Gateway (or ListenerSet: listeners attached to a Gateway) asks for: a Certificate per
Secret in its HTTPS/TLS listeners' tls.certificateRefs, for the listeners' hostnames (listeners sharing a
Secret merge them), and what is wrong, as cert-manager's gateway-shim reads Gateways."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..core import constants, reasons
from ..ingress_shim.annotations import ShimOptions
from ..ingress_shim.model import ShimRequest, Source
from ..ingress_shim.requests import shim_request

GATEWAY = Source(
    "Gateway",
    constants.GATEWAY_API_VERSION,
    reasons.GATEWAY_CONFLICT,
    reasons.INVALID_GATEWAY,
    "Secret in tls.certificateRefs",
)
LISTENER_SET = Source(
    "ListenerSet",
    constants.GATEWAY_API_VERSION,
    reasons.LISTENER_SET_CONFLICT,
    reasons.INVALID_LISTENER_SET,
    "Secret in tls.certificateRefs",
)
TLS_PROTOCOLS = ("HTTPS", "TLS")


def gateway_request(body: Mapping[str, Any], options: ShimOptions) -> ShimRequest | None:
    """The Certificates a Gateway asks for; None when its annotations do not ask evercert for any."""
    return listeners_request(body, options, GATEWAY)


def listener_set_request(body: Mapping[str, Any], options: ShimOptions) -> ShimRequest | None:
    """The Certificates a ListenerSet asks for, read as a Gateway's listeners are."""
    return listeners_request(body, options, LISTENER_SET)


def listeners_request(body: Mapping[str, Any], options: ShimOptions, source: Source) -> ShimRequest | None:
    namespace = (body.get("metadata") or {}).get("namespace", "")
    hosts = hosts_by_secret(body.get("spec") or {}, namespace, source.kind)
    return shim_request(body, options, hosts, source=source)


def hosts_by_secret(
    spec: Mapping[str, Any], namespace: str, kind: str
) -> tuple[dict[str, list[str]], list[str]]:
    """Secret name → the hostnames of the listeners naming it, and what makes a listener unusable."""
    hosts: dict[str, list[str]] = {}
    problems: list[str] = []
    listeners = [entry for entry in spec.get("listeners") or [] if _terminates_tls(entry)]
    if not listeners:
        problems.append(
            f"the {kind} has no HTTPS or TLS listener: add one with a hostname and tls.certificateRefs"
        )
    for listener in listeners:
        where = f"listener {listener.get('name', '')!r}"
        hostname = listener.get("hostname")
        refs = (listener.get("tls") or {}).get("certificateRefs")
        secrets, ref_problems = _secret_names(refs, namespace, kind)
        problems.extend(f"{where}: {problem}" for problem in ref_problems)
        if not hostname:
            problems.append(f"{where} has no hostname: set the name the certificate is for")
        elif hostname.startswith("*."):
            problems.append(
                f"{where} has the wildcard hostname {hostname!r}: evercert solves HTTP-01 challenges, "
                "which cannot validate a wildcard; name each host in a listener of its own"
            )
        elif not secrets and not ref_problems:
            problems.append(f"{where} has no tls.certificateRefs: name the Secret evercert should write")
        else:
            for secret in secrets:
                merged = hosts.setdefault(secret, [])
                if hostname not in merged:
                    merged.append(hostname)
    return hosts, problems


def _terminates_tls(listener: Mapping[str, Any]) -> bool:
    """HTTPS and TLS listeners, but not TLS passthrough (the backend holds the certificate then)."""
    mode = (listener.get("tls") or {}).get("mode") or "Terminate"
    return listener.get("protocol") in TLS_PROTOCOLS and mode == "Terminate"


def _secret_names(refs: Any, namespace: str, kind: str) -> tuple[list[str], list[str]]:
    """The Secrets in the object's own namespace that `refs` name, and the refs evercert cannot write."""
    names: list[str] = []
    problems: list[str] = []
    for ref in refs or []:
        group, ref_kind, name = ref.get("group") or "", ref.get("kind") or "Secret", ref.get("name", "")
        other_namespace = ref.get("namespace") or namespace
        if (group, ref_kind) != ("", "Secret"):
            problems.append(f"tls.certificateRefs names {ref_kind} {name!r} of group {group!r}, not a Secret")
        elif other_namespace != namespace:
            problems.append(
                f"tls.certificateRefs names Secret {other_namespace}/{name}, in another namespace: evercert "
                f"makes Certificates only for Secrets in the {kind}'s own namespace"
            )
        else:
            names.append(name)
    return names, problems
