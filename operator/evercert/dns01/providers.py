"""Build the DNS provider of a DNS-01 solver, with its credentials read from their Secret."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from ..api.dns01 import AcmeDnsProvider, Dns01Solver, Rfc2136Provider, SecretKeyRef, WebhookProvider
from ..core.errors import Dns01ProviderError
from ..kube.client import Kube
from .acmedns import AcmeDns, parse_accounts
from .provider import DnsProvider
from .rfc2136 import Rfc2136
from .webhook import Webhook

# (namespace, name) -> the Secret's body, or None when it does not exist.
SecretReader = Callable[[str, str], Awaitable[Mapping[str, Any] | None]]


async def build_provider(
    solver: Dns01Solver, namespace: str, read_secret: SecretReader, kube: Kube | None = None
) -> DnsProvider:
    """The provider that puts `solver`'s TXT values in place; Secrets are read in `namespace`; `kube`
    is the client for providers reached through the Kubernetes API (cert-manager's DNS webhooks)."""
    provider = solver.provider
    if isinstance(provider, Rfc2136Provider):
        secret = None
        if provider.tsig_secret is not None:
            secret = await secret_value(read_secret, namespace, provider.tsig_secret)
        return Rfc2136(provider.host, provider.port, provider.tsig_key_name, secret, provider.tsig_algorithm)
    if isinstance(provider, AcmeDnsProvider):
        ref = provider.account_secret
        accounts = await secret_value(read_secret, namespace, ref)
        return AcmeDns(
            provider.host, parse_accounts(accounts, f"Secret {namespace}/{ref.name} key {ref.key!r}")
        )
    if isinstance(provider, WebhookProvider) and kube is not None:
        return Webhook(kube.api, provider.group_name, provider.solver_name, provider.config, kube.timeout)
    raise Dns01ProviderError(f"the DNS-01 provider {type(provider).__name__} is not available in this build")


async def secret_value(read_secret: SecretReader, namespace: str, ref: SecretKeyRef) -> str:
    """One key of a Secret as text; Dns01ProviderError names what is missing (never the value)."""
    secret = await read_secret(namespace, ref.name)
    if secret is None:
        raise Dns01ProviderError(
            f"Secret {namespace}/{ref.name} (a DNS-01 solver's credentials) does not exist"
        )
    encoded = (secret.get("data") or {}).get(ref.key)
    if encoded is None:
        raise Dns01ProviderError(f"Secret {namespace}/{ref.name} has no key {ref.key!r}")
    try:
        return base64.b64decode(encoded, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise Dns01ProviderError(f"Secret {namespace}/{ref.name} key {ref.key!r} is not text") from None
