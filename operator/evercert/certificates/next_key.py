"""The private key for the next certificate, kept in its own Secret until the certificate is written.

The Secret's name is derived from the Certificate's, so a restarted operator finds the key it made
before a crash and the order made for it stays usable."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Mapping
from typing import Any

from kubernetes_asyncio.client.exceptions import ApiException

from ..api.certificate import CertificateSpec
from ..core import constants
from ..kube.client import Kube, create_or_replace_secret, delete_secret, read_secret
from ..kube.names import MAX_OBJECT_NAME, bounded_name
from ..pki import PrivateKey, generate_private_key, load_private_key_pem, private_key_to_pem
from ..solver.challenge import certificate_label_value
from .owner import certificate_owner
from .tls_secret import decode_field, key_reusable


def next_key_secret_name(certificate_name: str) -> str:
    return bounded_name(certificate_name, MAX_OBJECT_NAME, "-next-key")


async def next_private_key(
    kube: Kube, spec: CertificateSpec, secret: Mapping[str, Any] | None, resuming: bool = False
) -> tuple[bytes, PrivateKey]:
    """Reused per rotationPolicy Never, else the one kept in its Secret, else a new one stored there.

    A new issuance creates the key's Secret without reading first: only when one exists already (a
    crash after the key was made) is it read, and its key taken. An issuance `resuming` an order reads
    first, as its key is most likely there. Keys read back from a Secret are loaded with all checks; a
    fresh one needs none (they cost ~45 ms)."""
    reusable = key_reusable(secret, spec)
    if reusable:
        return reusable, load_private_key_pem(reusable)
    stored = await read_secret(kube, spec.namespace, next_key_secret_name(spec.name)) if resuming else None
    kept = _kept_key(stored)
    if kept is not None:
        return kept
    # An RSA key takes tens of milliseconds; cryptography releases the GIL meanwhile, so in a thread it
    # keeps the event loop (every other look and issuance) going, on the other core if there is one.
    key = await asyncio.to_thread(generate_private_key, spec.private_key.algorithm, spec.private_key.size)
    key_pem = private_key_to_pem(key)
    if not resuming:
        try:
            await create_or_replace_secret(kube, spec.namespace, next_key_secret(spec, key_pem, None))
            return key_pem, key
        except ApiException as exc:
            if exc.status != 409:
                raise
        stored = await read_secret(kube, spec.namespace, next_key_secret_name(spec.name))
        kept = _kept_key(stored)
        if kept is not None:
            return kept
    # None there, or not a next key (or gone meanwhile): the fresh one takes its place.
    await create_or_replace_secret(kube, spec.namespace, next_key_secret(spec, key_pem, stored))
    return key_pem, key


def _kept_key(stored: Mapping[str, Any] | None) -> tuple[bytes, PrivateKey] | None:
    """The key a next-key Secret holds, if it is one."""
    if stored is None:
        return None
    key_pem = decode_field(stored, constants.PRIVATE_KEY_FIELD)
    labels = (stored.get("metadata") or {}).get("labels") or {}
    if not key_pem or labels.get(constants.LABEL_NEXT_KEY) != "true":
        return None
    return key_pem, load_private_key_pem(key_pem)


def next_key_secret(
    spec: CertificateSpec, key_pem: bytes, stored: Mapping[str, Any] | None
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": next_key_secret_name(spec.name),
            "namespace": spec.namespace,
            "resourceVersion": ((stored or {}).get("metadata") or {}).get("resourceVersion"),
            "labels": {
                constants.LABEL_MANAGED_BY: constants.MANAGED_BY,
                constants.LABEL_NEXT_KEY: "true",
                constants.LABEL_CERTIFICATE: certificate_label_value(spec.name),
            },
            "ownerReferences": [certificate_owner(spec)],
        },
        "data": {constants.PRIVATE_KEY_FIELD: base64.b64encode(key_pem).decode()},
    }


async def discard_next_key(kube: Kube, spec: CertificateSpec) -> None:
    await delete_secret(kube, spec.namespace, next_key_secret_name(spec.name))
