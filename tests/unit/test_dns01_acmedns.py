"""The acme-dns provider against a fake acme-dns HTTP API on loopback."""

from __future__ import annotations

import json

import aiohttp
import pytest

from evercert.core import reasons
from evercert.core.errors import Dns01ProviderError
from evercert.dns01.acmedns import AcmeDns, parse_accounts
from evercert.dns01.provider import TxtRecord
from tests.support.fake_http import fake_http

ACCOUNTS = json.dumps(
    {
        "www.example.test": {
            "username": "user-1",
            "password": "secret-password-1",
            "fulldomain": "d420c923.auth.example.test",
            "subdomain": "d420c923",
            "allowfrom": [],
        }
    }
)


def record(dns_name: str = "www.example.test", value: str = "txt-value") -> TxtRecord:
    return TxtRecord(
        fqdn="d420c923.auth.example.test.",
        zone="auth.example.test.",
        value=value,
        dns_name=dns_name,
        namespace="default",
    )


async def test_present_posts_the_value_to_update_with_the_identifiers_account() -> None:
    async with fake_http() as server, aiohttp.ClientSession() as session:
        server.body = {"txt": "txt-value"}
        provider = AcmeDns(server.url, parse_accounts(ACCOUNTS, "acme-dns.json"), session)
        await provider.present(record())
    [request] = server.requests
    assert (request.method, request.path) == ("POST", "/update")
    assert request.headers["X-Api-User"] == "user-1"
    assert request.headers["X-Api-Key"] == "secret-password-1"
    assert request.body == {"subdomain": "d420c923", "txt": "txt-value"}


async def test_a_refused_update_carries_acme_dns_own_error_and_never_the_password() -> None:
    async with fake_http() as server, aiohttp.ClientSession() as session:
        server.status, server.body = 401, {"error": "forbidden"}
        provider = AcmeDns(server.url, parse_accounts(ACCOUNTS, "acme-dns.json"), session)
        with pytest.raises(Dns01ProviderError) as raised:
            await provider.present(record())
    assert raised.value.reason == reasons.DNS01_PROVIDER_ERROR
    assert "forbidden" in raised.value.message and "401" in raised.value.message
    assert "secret-password-1" not in raised.value.message


async def test_an_identifier_without_an_account_is_refused_before_any_request() -> None:
    async with fake_http() as server, aiohttp.ClientSession() as session:
        provider = AcmeDns(server.url, parse_accounts(ACCOUNTS, "acme-dns.json"), session)
        with pytest.raises(Dns01ProviderError, match=r"no account for other\.example\.test"):
            await provider.present(record(dns_name="other.example.test"))
    assert server.requests == []


async def test_an_unreachable_acme_dns_is_a_provider_error() -> None:
    async with fake_http() as server:
        url = server.url
    async with aiohttp.ClientSession() as session:
        provider = AcmeDns(url, parse_accounts(ACCOUNTS, "acme-dns.json"), session, timeout=2)
        with pytest.raises(Dns01ProviderError, match="unreachable"):
            await provider.present(record())


async def test_clean_up_sends_nothing_because_acme_dns_has_no_delete() -> None:
    async with fake_http() as server, aiohttp.ClientSession() as session:
        provider = AcmeDns(server.url, parse_accounts(ACCOUNTS, "acme-dns.json"), session)
        await provider.clean_up(record())
    assert server.requests == []


def test_accounts_are_keyed_by_lowercase_name_without_trailing_dot() -> None:
    accounts = parse_accounts(
        json.dumps({"WWW.Example.Test.": json.loads(ACCOUNTS)["www.example.test"]}), "k"
    )
    assert set(accounts) == {"www.example.test"}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("not json", "is not JSON"),
        ("[]", "must be a JSON object"),
        ('{"a.test": "x"}', "is not an object"),
        ('{"a.test": {"username": "u"}}', "lacks password, subdomain"),
    ],
)
def test_a_malformed_account_secret_is_a_provider_error(raw: str, message: str) -> None:
    with pytest.raises(Dns01ProviderError, match=message):
        parse_accounts(raw, "acme-dns/acmedns.json")


async def test_without_a_session_of_its_own_each_update_opens_one() -> None:
    async with fake_http() as server:
        await AcmeDns(server.url, parse_accounts(ACCOUNTS, "acme-dns.json")).present(record())
    assert [request.path for request in server.requests] == ["/update"]
