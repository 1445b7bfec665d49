"""ACME accounts of Issuers: the account key in its Secret, the settings to reach the CA."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import tempfile
from pathlib import Path
from typing import Any

import kopf

from . import constants
from .acme.account import AccountSettings, generate_account_key, register_account
from .api.issuer import IssuerSpec
from .errors import IssuerNotReady
from .kube.client import create_or_replace_secret, patch_issuer_status, read_secret
from .runtime import Runtime
from .secrets import decode_field

log = logging.getLogger(__name__)
ACCOUNT_KEY_FIELD = "tls.key"
_BUNDLE_DIR = Path(tempfile.gettempdir()) / "evercert-ca-bundles"


def secret_namespace(issuer: IssuerSpec, runtime: Runtime) -> str:
    """Issuers keep their Secrets beside them; ClusterIssuers in the cluster resource namespace."""
    return issuer.namespace or runtime.settings.cluster_resource_namespace


async def ensure_account_key(runtime: Runtime, issuer: IssuerSpec) -> bytes:
    """The account key from privateKeySecretRef, generated and stored when the Secret is absent."""
    namespace = secret_namespace(issuer, runtime)
    secret = await read_secret(runtime.kube, namespace, issuer.private_key_secret_name)
    if secret is not None:
        key_pem = decode_field(secret, ACCOUNT_KEY_FIELD)
        if not key_pem:
            raise IssuerNotReady(
                f"Secret {namespace}/{issuer.private_key_secret_name} has no {ACCOUNT_KEY_FIELD!r} field"
            )
        return key_pem
    key_pem = generate_account_key()
    await create_or_replace_secret(
        runtime.kube,
        namespace,
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {
                "name": issuer.private_key_secret_name,
                "namespace": namespace,
                "labels": {constants.LABEL_MANAGED_BY: constants.MANAGED_BY},
            },
            "data": {ACCOUNT_KEY_FIELD: base64.b64encode(key_pem).decode()},
        },
    )
    return key_pem


async def read_account_key(runtime: Runtime, issuer: IssuerSpec) -> bytes:
    namespace = secret_namespace(issuer, runtime)
    secret = await read_secret(runtime.kube, namespace, issuer.private_key_secret_name)
    key_pem = decode_field(secret, ACCOUNT_KEY_FIELD) if secret else b""
    if not key_pem:
        raise IssuerNotReady(f"account key Secret {namespace}/{issuer.private_key_secret_name} is missing")
    return key_pem


async def account_settings(runtime: Runtime, issuer: IssuerSpec) -> AccountSettings:
    """How to talk to the issuer's CA, with the EAB HMAC read from its Secret when configured."""
    eab = issuer.external_account_binding
    hmac_b64: str | None = None
    if eab is not None:
        namespace = secret_namespace(issuer, runtime)
        secret = await read_secret(runtime.kube, namespace, eab.secret_name)
        hmac = decode_field(secret, eab.secret_key) if secret else b""
        if not hmac:
            raise IssuerNotReady(
                f"external account binding Secret {namespace}/{eab.secret_name} "
                f"has no {eab.secret_key!r} field"
            )
        hmac_b64 = hmac.decode().strip()
    return AccountSettings(
        server=issuer.server,
        email=issuer.email,
        eab_key_id=eab.key_id if eab else None,
        eab_hmac_key_b64=hmac_b64,
        eab_algorithm=eab.key_algorithm if eab else "HS256",
        verify=_verify(issuer),
    )


def _verify(issuer: IssuerSpec) -> bool | str:
    """requests' `verify`: False when skipTLSVerify, a CA file for caBundle, else True."""
    if issuer.skip_tls_verify:
        return False
    if not issuer.ca_bundle:
        return True
    _BUNDLE_DIR.mkdir(mode=0o700, exist_ok=True)
    path = _BUNDLE_DIR / f"{hashlib.sha256(issuer.ca_bundle).hexdigest()[:16]}.pem"
    if not path.exists():
        path.write_bytes(issuer.ca_bundle)
    return str(path)


async def register_again(runtime: Runtime, issuer: IssuerSpec, forgotten_uri: str) -> str:
    """The CA no longer knows the account (its state was reset): register the same key again.

    Once per forgotten account, whichever Certificate finds out first; the others get the new URI."""
    lock = runtime.account_locks.setdefault(forgotten_uri, asyncio.Lock())
    async with lock:
        known = runtime.registered_again.get(forgotten_uri)
        if known:
            return known
        key_pem = await read_account_key(runtime, issuer)
        settings = await account_settings(runtime, issuer)
        uri = await runtime.blocking(register_account, settings, key_pem)
        await patch_issuer_status(
            runtime.kube, issuer.kind, issuer.namespace, issuer.name, {"acme": {"uri": uri}}
        )
        runtime.registered_again[forgotten_uri] = uri
    message = f"the ACME server no longer knew account {forgotten_uri}; registered the key again: {uri}"
    log.warning("ACME account registered again", extra={"issuer": f"{issuer.kind}/{issuer.name}", "uri": uri})
    kopf.event(_issuer_ref(issuer), type="Normal", reason="ACMEAccountRegistered", message=message)
    return uri


def _issuer_ref(issuer: IssuerSpec) -> dict[str, Any]:
    metadata = {"name": issuer.name, "uid": issuer.uid}
    if issuer.namespace:
        metadata["namespace"] = issuer.namespace
    return {"apiVersion": f"{constants.GROUP}/{constants.VERSION}", "kind": issuer.kind, "metadata": metadata}


def account_uri(issuer_body: dict[str, Any]) -> str | None:
    return ((issuer_body.get("status") or {}).get("acme") or {}).get("uri")
