"""cert-manager Issuers and ClusterIssuers as evercert's: the same name, ACME account and solvers.

Only ACME issuers move; an issuer with a solver evercert cannot run stays behind, with the reason."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ..api.issuer import parse_issuer
from ..core import constants
from ..core.errors import InvalidSpec
from .outcome import Conversion, refused

ACCOUNT_KEY_FIELD = constants.PRIVATE_KEY_FIELD
# spec.acme fields evercert reads under the same names.
ACME_FIELDS = (
    "server",
    "email",
    "privateKeySecretRef",
    "externalAccountBinding",
    "profile",
    "preferredChain",
    "caBundle",
    "skipTLSVerify",
)
# cert-manager's spec.acme fields with no effect in evercert, and why leaving them is harmless.
IGNORED_ACME_FIELDS = {
    "enableDurationFeature": "evercert never asks the CA for a lifetime (notAfter in the order)",
    "disableAccountKeyGeneration": "evercert makes an account key only when its Secret is missing",
}
NON_ACME = ("ca", "selfSigned", "vault", "venafi")
DNS01_PROVIDERS = ("rfc2136", "acmeDNS", "webhook")
DNS01_UNSUPPORTED = ("route53", "cloudflare", "cloudDNS", "azureDNS", "digitalocean", "akamai")
# DNS-01 providers' Secret references: (provider, field, what the Secret holds).
DNS01_SECRET_REFS = (
    ("rfc2136", "tsigSecretSecretRef", "DNS-01 TSIG secret"),
    ("acmeDNS", "accountSecretRef", "DNS-01 acme-dns accounts"),
)
HTTP01_FIELDS = {
    "ingress": ("class", "ingressClassName", "name", "serviceType", "podTemplate"),
    "gatewayHTTPRoute": ("parentRefs", "labels", "serviceType", "podTemplate"),
}
POD_SPEC_FIELDS = ("nodeSelector", "tolerations")


def convert_issuer(body: Mapping[str, Any], kind: str) -> Conversion:
    """evercert's Issuer or ClusterIssuer (`kind`) for a cert-manager one, or why it stays behind."""
    metadata = body.get("metadata") or {}
    name, namespace = str(metadata.get("name") or ""), metadata.get("namespace") if kind == "Issuer" else None
    spec = body.get("spec") or {}
    acme = spec.get("acme")
    if not isinstance(acme, Mapping):
        other = next((key for key in NON_ACME if key in spec), "no acme")
        return refused(kind, namespace, name, f"a {other} issuer: evercert issues only from ACME CAs")
    notes: list[str] = []
    key_field = (acme.get("privateKeySecretRef") or {}).get("key")
    if kind == "Issuer" and key_field not in (None, ACCOUNT_KEY_FIELD):
        return refused(
            kind,
            namespace,
            name,
            f"the account key is under {key_field!r} of its Secret; evercert reads {ACCOUNT_KEY_FIELD!r}",
        )
    converted: dict[str, Any] = {key: copy.deepcopy(acme[key]) for key in ACME_FIELDS if key in acme}
    if "privateKeySecretRef" in converted:
        converted["privateKeySecretRef"] = {"name": converted["privateKeySecretRef"].get("name")}
    for key, why in IGNORED_ACME_FIELDS.items():
        if acme.get(key):
            notes.append(f"spec.acme.{key} left out: {why}")
    solvers = []
    for index, solver in enumerate(acme.get("solvers") or []):
        solver_body, why = _solver(solver, f"spec.acme.solvers[{index}]", notes)
        if solver_body is None:
            return refused(kind, namespace, name, str(why))
        if kind == "ClusterIssuer" and "webhook" in (solver_body.get("dns01") or {}):
            notes.append(
                f"spec.acme.solvers[{index}].dns01.webhook: the webhook now reads the Secrets its config "
                "names in evercert's cluster-resource namespace (its resourceNamespace): copy them there"
            )
        solvers.append(solver_body)
    converted["solvers"] = solvers
    result = {
        "apiVersion": constants.API_VERSION,
        "kind": kind,
        "metadata": _metadata(metadata, kind, namespace),
        "spec": {"acme": converted},
    }
    try:
        parse_issuer(result, kind)
    except InvalidSpec as exc:
        return refused(kind, namespace, name, f"evercert would refuse it: {exc.message}")
    return Conversion(kind, namespace, name, result, notes=tuple(notes))


def secret_refs(issuer: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], str, str]]:
    """The Secrets an ACME issuer reads, each as (secretRef, the key evercert reads, what it holds):
    the account key, the EAB key, DNS-01 credentials (rfc2136's TSIG secret, acme-dns's accounts)."""
    acme = (issuer.get("spec") or {}).get("acme") or {}
    refs: list[tuple[Mapping[str, Any], str, str]] = [
        (acme.get("privateKeySecretRef") or {}, ACCOUNT_KEY_FIELD, "account key")
    ]
    eab = acme.get("externalAccountBinding")
    if eab:
        key_ref = eab.get("keySecretRef") or {}
        refs.append((key_ref, key_ref.get("key") or "secret", "EAB key"))
    for solver in acme.get("solvers") or []:
        dns01 = (solver or {}).get("dns01") or {}
        for provider, field, what in DNS01_SECRET_REFS:
            ref = (dns01.get(provider) or {}).get(field) or {}
            if ref.get("name") and ref.get("key"):
                refs.append((ref, str(ref["key"]), what))
    return refs


def _metadata(metadata: Mapping[str, Any], kind: str, namespace: str | None) -> dict[str, Any]:
    name = str(metadata.get("name"))
    origin = f"{constants.CERT_MANAGER_API_VERSION}/{kind}/{namespace + '/' if namespace else ''}{name}"
    result: dict[str, Any] = {"name": name, "annotations": {constants.ANNOTATION_MIGRATED_FROM: origin}}
    if namespace:
        result["namespace"] = namespace
    if metadata.get("labels"):
        result["labels"] = dict(metadata["labels"])
    return result


def _solver(
    solver: Mapping[str, Any], path: str, notes: list[str]
) -> tuple[dict[str, Any] | None, str | None]:
    """evercert's solver, or (None, why it cannot be run)."""
    result: dict[str, Any] = {}
    if "selector" in solver:
        result["selector"] = copy.deepcopy(solver["selector"])
    if "dns01" in solver:
        dns01 = solver["dns01"] or {}
        unsupported = [key for key in DNS01_UNSUPPORTED if key in dns01]
        if unsupported or not any(key in dns01 for key in DNS01_PROVIDERS):
            named = ", ".join(unsupported) or "none named"
            return None, (
                f"{path}.dns01: provider {named} is not supported "
                f"(evercert's DNS-01 providers: {', '.join(DNS01_PROVIDERS)})"
            )
        result["dns01"] = copy.deepcopy(dict(dns01))  # the same field names: copied as they are
        return result, None
    http01 = solver.get("http01") or {}
    for key, fields in HTTP01_FIELDS.items():
        if key in http01:
            result["http01"] = {key: _http01(http01[key] or {}, fields, f"{path}.http01.{key}", notes)}
            return result, None
    return None, f"{path}: neither http01.ingress, http01.gatewayHTTPRoute nor dns01"


def _http01(given: Mapping[str, Any], fields: tuple[str, ...], path: str, notes: list[str]) -> dict[str, Any]:
    result = {key: copy.deepcopy(given[key]) for key in fields if key in given}
    for key in sorted(set(given) - set(fields)):
        notes.append(f"{path}.{key} left out: evercert has no such setting")
    template = given.get("podTemplate")
    if isinstance(template, Mapping):
        pod_spec = template.get("spec") or {}
        kept = {key: pod_spec[key] for key in POD_SPEC_FIELDS if key in pod_spec}
        for key in sorted(set(pod_spec) - set(POD_SPEC_FIELDS)):
            notes.append(f"{path}.podTemplate.spec.{key} left out: evercert's solver Pod sets its own")
        result["podTemplate"] = {
            **({"metadata": copy.deepcopy(template["metadata"])} if template.get("metadata") else {}),
            **({"spec": copy.deepcopy(kept)} if kept else {}),
        }
    return result
