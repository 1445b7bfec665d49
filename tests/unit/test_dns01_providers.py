"""build_provider for acme-dns and cert-manager DNS webhooks: credentials read, clients handed in."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

import pytest
from kubernetes_asyncio import client

from evercert.api.dns01 import AcmeDnsProvider, Dns01Solver, SecretKeyRef, WebhookProvider
from evercert.core.errors import Dns01ProviderError
from evercert.dns01.acmedns import AcmeDns
from evercert.dns01.providers import build_provider
from evercert.dns01.webhook import Webhook
from evercert.kube.client import Kube

ACCOUNT = {"username": "u", "password": "p", "subdomain": "s", "fulldomain": "s.auth.test", "allowfrom": []}


def secrets(data: Mapping[tuple[str, str], Mapping[str, str]]) -> Any:
    async def read(namespace: str, name: str) -> Mapping[str, Any] | None:
        values = data.get((namespace, name))
        if values is None:
            return None
        return {"data": {key: base64.b64encode(value.encode()).decode() for key, value in values.items()}}

    return read


ACME_DNS = Dns01Solver(
    provider=AcmeDnsProvider("https://auth.test", SecretKeyRef("acme-dns", "acmedns.json"))
)


async def test_acme_dns_reads_its_accounts_from_the_secret_in_the_solvers_namespace() -> None:
    read = secrets({("team", "acme-dns"): {"acmedns.json": json.dumps({"www.x.test": ACCOUNT})}})
    provider = await build_provider(ACME_DNS, "team", read)
    assert isinstance(provider, AcmeDns)
    assert provider.host == "https://auth.test"
    assert provider.accounts["www.x.test"].subdomain == "s"


async def test_acme_dns_with_a_malformed_account_secret_names_the_secret_and_key() -> None:
    read = secrets({("team", "acme-dns"): {"acmedns.json": "{not json"}})
    with pytest.raises(Dns01ProviderError, match=r"Secret team/acme-dns key 'acmedns.json' is not JSON"):
        await build_provider(ACME_DNS, "team", read)


async def test_acme_dns_without_its_secret_is_a_provider_error() -> None:
    with pytest.raises(Dns01ProviderError, match="does not exist"):
        await build_provider(ACME_DNS, "team", secrets({}))


async def test_a_webhook_solver_is_called_through_the_given_api_client() -> None:
    solver = Dns01Solver(provider=WebhookProvider("acme.pdns.test", "pdns", {"host": "h"}))
    async with client.ApiClient(client.Configuration(host="http://127.0.0.1:1")) as api:
        provider = await build_provider(solver, "team", secrets({}), Kube(api, timeout=7))
    assert isinstance(provider, Webhook)
    assert (provider.path, provider.config, provider.timeout) == (
        "/apis/acme.pdns.test/v1alpha1/pdns",
        {"host": "h"},
        7,
    )
