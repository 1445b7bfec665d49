"""The kubernetes.io/tls Secret: read it, check who owns it, build all of it, write it in one request."""

from __future__ import annotations

import base64
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from ..acme.renewal_info import ari_cert_id
from ..api.certificate import CertificateSpec
from ..core import constants
from ..core.errors import SecretInUse, SecretNotOwned
from ..kube.client import Kube, create_or_replace_secret, read_secret
from ..pki import (
    CertificateInfo,
    certificate_info,
    key_type,
    load_private_key_pem,
    parse_pem_chain,
)
from . import adoption
from .outputs import NO_PASSWORDS, Passwords, build_outputs, outputs_digest

ALLOW_TAKEOVER = constants.ANNOTATION_ALLOW_TAKEOVER
READ_ANNOTATIONS = (
    constants.ANNOTATION_CERTIFICATE_NAME,
    constants.ANNOTATION_ISSUER_NAME,
    constants.ANNOTATION_ISSUER_KIND,
    ALLOW_TAKEOVER,
    constants.ANNOTATION_OUTPUTS,
    constants.ANNOTATION_COPY_OF,
)
# Data keys every tls Secret has: the facts keep only the others (ca.crt, the outputs' files).
_TLS_FILES = frozenset((constants.TLS_CERT, constants.TLS_KEY))
TLS_SECRET_TYPE = constants.TLS_SECRET_TYPE


@dataclass(frozen=True, slots=True)
class SecretContents:
    """What a tls Secret holds, as facts (no key material): small enough to keep for every managed Secret.

    `info` is None when tls.crt is missing or unreadable; `key_type` is (algorithm, size) of tls.key."""

    info: CertificateInfo | None
    has_key: bool
    key_matches: bool
    key_type: tuple[str, int] | None
    annotations: Mapping[str, str]  # only those the looks read (READ_ANNOTATIONS)
    ari_id: str | None = None  # the certificate's ACME Renewal Information ID
    resource_version: str | None = None
    files: tuple[str, ...] = ()  # the data keys beside tls.crt and tls.key, sorted


def decode_field(secret: Mapping[str, Any], key: str) -> bytes:
    value = (secret.get("data") or {}).get(key)
    return base64.b64decode(value) if value else b""


def read_contents(secret: Mapping[str, Any]) -> SecretContents:
    cert_pem, key_pem = decode_field(secret, constants.TLS_CERT), decode_field(secret, constants.TLS_KEY)
    try:
        chain = parse_pem_chain(cert_pem) if cert_pem else []
    except ValueError:
        chain = []
    leaf = chain[0] if chain else None
    try:
        key = load_private_key_pem(key_pem, check=False) if key_pem else None  # type and public half only
    except ValueError:
        key = None
    metadata = secret.get("metadata") or {}
    given = metadata.get("annotations") or {}
    # Kept for every managed Secret: the few the looks read, their values shared (issuer names repeat).
    kept = {k: given[k] for k in READ_ANNOTATIONS if k in given}
    if adoption.CERTIFICATE_NAME in given and constants.ANNOTATION_CERTIFICATE_NAME not in given:
        # cert-manager wrote it and evercert has not yet: what counts to adopt it
        kept.update(adoption.kept_annotations(given, chain))
    annotations = {k: sys.intern(str(v)) for k, v in kept.items()}
    return SecretContents(
        info=certificate_info(leaf) if leaf is not None else None,
        has_key=bool(key_pem),
        key_matches=leaf is not None and key is not None and key.public_key() == leaf.public_key(),
        key_type=key_type(key) if key is not None else None,
        annotations=annotations,
        ari_id=_ari_id(leaf),
        resource_version=metadata.get("resourceVersion"),
        files=tuple(sorted(sys.intern(k) for k in (secret.get("data") or {}) if k not in _TLS_FILES)),
    )


def _ari_id(leaf: x509.Certificate | None) -> str | None:
    try:
        return ari_cert_id(leaf) if leaf is not None else None
    except ValueError:
        return None


def check_ownership(secret: Mapping[str, Any], spec: CertificateSpec) -> None:
    """Raise unless the Secret was written by evercert for this Certificate (or opts in to takeover)."""
    annotations = (secret.get("metadata") or {}).get("annotations") or {}
    check_owner(annotations, spec)
    taken_over = annotations.get(constants.ANNOTATION_CERTIFICATE_NAME) != spec.name
    if taken_over and secret.get("type") != TLS_SECRET_TYPE:
        raise SecretNotOwned(
            f"Secret {spec.secret_name!r} has type {secret.get('type')}, and a Secret's type cannot change "
            f"to {TLS_SECRET_TYPE}: delete the Secret and evercert will create it"
        )


def check_owner(annotations: Mapping[str, str], spec: CertificateSpec) -> None:
    """Raise unless the annotations name this Certificate as the writer (or allow a takeover)."""
    owner = annotations.get(constants.ANNOTATION_CERTIFICATE_NAME)
    if owner == spec.name:
        return
    if not owner and adoption.written_by_cert_manager_for(annotations, spec.name):
        return  # adopted when it still serves the spec (trigger.py), else reissued
    if owner:
        raise SecretInUse(
            f"Secret {spec.secret_name!r} is written by Certificate {owner!r}; "
            "two Certificates must not share a secretName"
        )
    if annotations.get(ALLOW_TAKEOVER) != "true":
        raise SecretNotOwned(
            f"Secret {spec.secret_name!r} exists and was not made by evercert; refusing to overwrite it. "
            f"Choose another secretName, delete the Secret, or annotate it {ALLOW_TAKEOVER}=true"
        )


def key_reusable(secret: Mapping[str, Any] | None, spec: CertificateSpec) -> bytes | None:
    """The Secret's key when rotationPolicy Never allows keeping it, else None."""
    key_pem = decode_field(secret, constants.TLS_KEY) if secret is not None else b""
    if spec.private_key.rotation_policy != "Never" or not key_pem:
        return None
    try:
        key = load_private_key_pem(key_pem)
    except ValueError:
        return None
    return key_pem if spec.private_key.accepts(key_type(key)) else None


def own_annotations(
    spec: CertificateSpec, issuer_name: str, issuer_kind: str, serial_hex: str
) -> dict[str, str]:
    """evercert's annotations on a tls Secret: the Certificate, issuer, names and serial."""
    annotations = {
        constants.ANNOTATION_CERTIFICATE_NAME: spec.name,
        constants.ANNOTATION_ISSUER_NAME: issuer_name,
        constants.ANNOTATION_ISSUER_KIND: issuer_kind,
        constants.ANNOTATION_DNS_NAMES: ",".join(spec.dns_names),
        constants.ANNOTATION_SERIAL: serial_hex,
    }
    if spec.ip_addresses:
        annotations[constants.ANNOTATION_IP_ADDRESSES] = ",".join(spec.ip_addresses)
    if spec.common_name:
        annotations[constants.ANNOTATION_COMMON_NAME] = spec.common_name
    return annotations


def build_tls_secret(
    spec: CertificateSpec,
    *,
    issuer_name: str,
    issuer_kind: str,
    chain_pem: bytes,
    key_pem: bytes,
    existing: Mapping[str, Any] | None,
    owner_reference: Mapping[str, Any] | None,
    passwords: Passwords = NO_PASSWORDS,
) -> dict[str, Any]:
    """The whole Secret to write in one request: key, chain, ca.crt, the outputs (formats, keystores),
    template labels, our annotations. Output files the spec no longer asks for are left out."""
    chain = parse_pem_chain(chain_pem)
    info = certificate_info(chain[0])
    old_meta = dict((existing or {}).get("metadata") or {})
    labels = {
        **(old_meta.get("labels") or {}),
        **spec.secret_template.labels,
        constants.LABEL_MANAGED_BY: constants.MANAGED_BY,
    }
    annotations = {
        **(old_meta.get("annotations") or {}),
        **spec.secret_template.annotations,
        **own_annotations(spec, issuer_name, issuer_kind, info.serial_hex),
    }
    digest = outputs_digest(spec, passwords)
    annotations.pop(constants.ANNOTATION_OUTPUTS, None)
    if digest is not None:
        annotations[constants.ANNOTATION_OUTPUTS] = digest
    metadata: dict[str, Any] = {
        "name": spec.secret_name,
        "namespace": spec.namespace,
        "labels": labels,
        "annotations": annotations,
    }
    if old_meta.get("resourceVersion"):
        metadata["resourceVersion"] = old_meta["resourceVersion"]
    if owner_reference:
        metadata["ownerReferences"] = [dict(owner_reference)]
    elif old_meta.get("ownerReferences"):
        metadata["ownerReferences"] = old_meta["ownerReferences"]
    # ca.crt is only known when the CA sends its self-signed root along; ACME CAs usually don't.
    ca_known = len(chain) > 1 and chain[-1].issuer == chain[-1].subject
    data = {constants.TLS_CERT: chain_pem}
    data.update(build_outputs(spec.outputs, passwords, key_pem, chain, ca_known))
    if ca_known:
        data[constants.CA_CERT] = chain[-1].public_bytes(Encoding.PEM)
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": TLS_SECRET_TYPE,
        "metadata": metadata,
        "data": {k: base64.b64encode(v).decode() for k, v in data.items()},
    }


async def write_tls_secret(kube: Kube, body: Mapping[str, Any]) -> None:
    """One create or replace. The body carries the resourceVersion of the Secret as read at the look, so
    a Secret that changed or appeared meanwhile (a foreign one, say) is refused (409) and looked at again."""
    await create_or_replace_secret(kube, body["metadata"]["namespace"], body)


async def rewrite_outputs(kube: Kube, spec: CertificateSpec, passwords: Passwords) -> None:
    """Write the Secret again from its own key and chain with the outputs the spec asks for now (a
    format, keystore or password changed): no new certificate is needed for that."""
    secret = await read_secret(kube, spec.namespace, spec.secret_name)
    if secret is None:
        return
    check_ownership(secret, spec)
    annotations = (secret.get("metadata") or {}).get("annotations") or {}
    body = build_tls_secret(
        spec,
        issuer_name=annotations.get(constants.ANNOTATION_ISSUER_NAME, spec.issuer_ref.name),
        issuer_kind=annotations.get(constants.ANNOTATION_ISSUER_KIND, spec.issuer_ref.kind),
        chain_pem=decode_field(secret, constants.TLS_CERT),
        key_pem=decode_field(secret, constants.TLS_KEY),
        existing=secret,
        owner_reference=None,
        passwords=passwords,
    )
    await write_tls_secret(kube, body)
