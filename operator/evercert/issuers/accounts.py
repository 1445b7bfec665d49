"""ACME accounts of Issuers: the account key in its Secret, and the settings to reach the CA."""

from __future__ import annotations

import base64
import hashlib
import tempfile
from pathlib import Path

from ..acme.keys import generate_account_key
from ..acme.settings import AccountSettings
from ..api.issuer import IssuerSpec
from ..certificates.tls_secret import decode_field
from ..core import constants
from ..core.errors import IssuerNotReady
from ..kube.client import Kube, create_or_replace_secret, read_secret

ACCOUNT_KEY_FIELD = constants.PRIVATE_KEY_FIELD
_BUNDLE_DIR = Path(tempfile.gettempdir()) / "evercert-ca-bundles"


def secret_namespace(issuer: IssuerSpec, cluster_resource_namespace: str) -> str:
    """Issuers keep their Secrets beside them; ClusterIssuers in the cluster resource namespace."""
    return issuer.namespace or cluster_resource_namespace


async def ensure_account_key(kube: Kube, issuer: IssuerSpec, cluster_resource_namespace: str) -> bytes:
    """The account key from privateKeySecretRef, generated and stored when the Secret is absent."""
    namespace = secret_namespace(issuer, cluster_resource_namespace)
    secret = await read_secret(kube, namespace, issuer.private_key_secret_name)
    if secret is not None:
        key_pem = decode_field(secret, ACCOUNT_KEY_FIELD)
        if not key_pem:
            raise IssuerNotReady(
                f"Secret {namespace}/{issuer.private_key_secret_name} has no {ACCOUNT_KEY_FIELD!r} field"
            )
        return key_pem
    key_pem = generate_account_key()
    await create_or_replace_secret(
        kube,
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


async def read_account_key(kube: Kube, issuer: IssuerSpec, cluster_resource_namespace: str) -> bytes:
    namespace = secret_namespace(issuer, cluster_resource_namespace)
    secret = await read_secret(kube, namespace, issuer.private_key_secret_name)
    key_pem = decode_field(secret, ACCOUNT_KEY_FIELD) if secret else b""
    if not key_pem:
        raise IssuerNotReady(f"account key Secret {namespace}/{issuer.private_key_secret_name} is missing")
    return key_pem


async def account_settings(
    kube: Kube, issuer: IssuerSpec, cluster_resource_namespace: str
) -> AccountSettings:
    """How to talk to the issuer's CA, with the EAB HMAC read from its Secret when configured."""
    eab = issuer.external_account_binding
    hmac_b64: str | None = None
    if eab is not None:
        namespace = secret_namespace(issuer, cluster_resource_namespace)
        secret = await read_secret(kube, namespace, eab.secret_name)
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
