"""The cert-manager DNS webhook provider against a fake API server on loopback."""

from __future__ import annotations

import pytest
from kubernetes_asyncio import client

from evercert.core import reasons
from evercert.core.errors import Dns01ProviderError
from evercert.dns01.provider import TxtRecord
from evercert.dns01.webhook import Webhook
from tests.support.fake_http import FakeHttp, fake_http

RECORD = TxtRecord(
    fqdn="_acme-challenge.www.pdns.test.",
    zone="pdns.test.",
    value="txt-value",
    dns_name="www.pdns.test",
    namespace="team-a",
)
CONFIG = {"host": "http://pdns:8081", "apiKeySecretRef": {"name": "pdns", "key": "api-key"}}


def provider_for(server: FakeHttp, api: client.ApiClient) -> Webhook:
    return Webhook(api, "acme.pdns.test", "pdns", CONFIG, timeout=5)


def api_client(url: str) -> client.ApiClient:
    configuration = client.Configuration(host=url)
    return client.ApiClient(configuration)


def answer(success: bool, message: str = "") -> dict[str, object]:
    response: dict[str, object] = {"uid": "x", "success": success}
    if message:
        response["status"] = {"status": "Failure", "message": message}
    return {
        "apiVersion": "webhook.acme.cert-manager.io/v1alpha1",
        "kind": "ChallengePayload",
        "response": response,
    }


@pytest.mark.parametrize(("action", "method"), [("Present", "present"), ("CleanUp", "clean_up")])
async def test_posts_a_challenge_payload_to_the_solvers_path(action: str, method: str) -> None:
    async with fake_http() as server, api_client(server.url) as api:
        server.status, server.body = 201, answer(True)
        await getattr(provider_for(server, api), method)(RECORD)
    [request] = server.requests
    assert (request.method, request.path) == ("POST", "/apis/acme.pdns.test/v1alpha1/pdns")
    assert request.body["apiVersion"] == "webhook.acme.cert-manager.io/v1alpha1"
    assert request.body["kind"] == "ChallengePayload"
    sent = dict(request.body["request"])
    assert sent.pop("uid")
    assert sent == {
        "action": action,
        "type": "dns-01",
        "dnsName": "www.pdns.test",
        "key": "txt-value",
        "resourceNamespace": "team-a",
        "resolvedFQDN": "_acme-challenge.www.pdns.test.",
        "resolvedZone": "pdns.test.",
        "allowAmbientCredentials": False,
        "config": CONFIG,
    }


async def test_a_webhook_that_did_not_succeed_is_an_error_with_its_own_message() -> None:
    async with fake_http() as server, api_client(server.url) as api:
        server.status, server.body = 201, answer(False, "zone pdns.test. not found on the PowerDNS server")
        with pytest.raises(Dns01ProviderError) as raised:
            await provider_for(server, api).present(RECORD)
    assert raised.value.reason == reasons.DNS01_PROVIDER_ERROR
    assert "zone pdns.test. not found on the PowerDNS server" in raised.value.message
    assert "/apis/acme.pdns.test/v1alpha1/pdns" in raised.value.message


async def test_a_failure_without_a_message_still_says_so() -> None:
    async with fake_http() as server, api_client(server.url) as api:
        server.status, server.body = 201, answer(False)
        with pytest.raises(Dns01ProviderError, match="did not succeed and gave no reason"):
            await provider_for(server, api).clean_up(RECORD)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (404, "the server could not find the requested resource"),
        (403, 'pdns.acme.pdns.test is forbidden: User "x" cannot create resource "pdns"'),
        (503, "service unavailable"),
    ],
)
async def test_the_api_servers_refusal_is_an_error_with_its_status_message(status: int, message: str) -> None:
    async with fake_http() as server, api_client(server.url) as api:
        server.status = status
        server.body = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message}
        with pytest.raises(Dns01ProviderError) as raised:
            await provider_for(server, api).present(RECORD)
    assert message in raised.value.message and str(status) in raised.value.message


async def test_an_answer_that_is_not_a_payload_is_an_error() -> None:
    async with fake_http() as server, api_client(server.url) as api:
        server.status, server.body = 200, "<html>proxy</html>"
        with pytest.raises(Dns01ProviderError, match="no response"):
            await provider_for(server, api).present(RECORD)


async def test_an_unreachable_api_server_is_a_provider_error() -> None:
    async with fake_http() as server:
        url = server.url
    async with api_client(url) as api:
        with pytest.raises(Dns01ProviderError, match="unreachable"):
            await Webhook(api, "acme.pdns.test", "pdns", None, timeout=2).present(RECORD)
