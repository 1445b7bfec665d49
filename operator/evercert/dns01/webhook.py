"""cert-manager's DNS webhook protocol (the `webhook` solver): any cert-manager DNS webhook works unchanged.

The webhook is an aggregated API server behind an APIService `v1alpha1.<groupName>`; a `ChallengePayload`
POSTed through the Kubernetes API server to `/apis/<groupName>/v1alpha1/<solverName>` asks it to Present
or CleanUp one TXT value, and its answer's `response` says whether it did (`status.message` when not).
The caller needs RBAC `create` on `<groupName>/<solverName>`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

import aiohttp
from kubernetes_asyncio import client

from ..core.errors import Dns01ProviderError
from .provider import TxtRecord

API_VERSION = "webhook.acme.cert-manager.io/v1alpha1"
VERSION = "v1alpha1"
KIND = "ChallengePayload"
PRESENT = "Present"
CLEAN_UP = "CleanUp"
TIMEOUT_SECONDS = 30.0


def challenge_payload(action: str, record: TxtRecord, config: Any, uid: str) -> dict[str, Any]:
    """The request body, field for field as cert-manager's controller sends it."""
    request: dict[str, Any] = {
        "uid": uid,
        "action": action,
        "type": "dns-01",
        "dnsName": record.dns_name,
        "key": record.value,
        "resourceNamespace": record.namespace,
        "resolvedFQDN": record.fqdn,
        "resolvedZone": record.zone,
        # evercert hands a webhook no ambient credentials of its own (cert-manager's default for Issuers).
        "allowAmbientCredentials": False,
    }
    if config is not None:
        request["config"] = config
    return {"apiVersion": API_VERSION, "kind": KIND, "request": request}


def outcome(status: int, body: bytes, where: str) -> str | None:
    """None when the webhook did it; else what went wrong, in the webhook's (or the API server's) words."""
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        data = {}
    if not isinstance(data, Mapping):
        data = {}
    response = data.get("response")
    if isinstance(response, Mapping):
        if response.get("success") is True and 200 <= status <= 299:
            return None
        result = response.get("status")
        message = result.get("message") if isinstance(result, Mapping) else None
        return f"{where}: {message or 'the webhook did not succeed and gave no reason'}"
    if data.get("kind") == "Status" and data.get("message"):
        return f"{where} ({status}): {data['message']}"
    if 200 <= status <= 299:
        return f"{where}: the answer has no response"
    return f"{where} ({status}): {body[:200].decode('utf-8', errors='replace')}"


class Webhook:
    """Asks a cert-manager DNS webhook, through the API server, to set or remove one TXT value."""

    def __init__(
        self,
        api: client.ApiClient,
        group_name: str,
        solver_name: str,
        config: Any = None,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.api = api
        self.group_name = group_name
        self.solver_name = solver_name
        self.config = config
        self.timeout = timeout

    @property
    def path(self) -> str:
        return f"/apis/{self.group_name}/{VERSION}/{self.solver_name}"

    async def present(self, record: TxtRecord) -> None:
        await self._call(PRESENT, record)

    async def clean_up(self, record: TxtRecord) -> None:
        await self._call(CLEAN_UP, record)

    async def _call(self, action: str, record: TxtRecord) -> None:
        body = challenge_payload(action, record, self.config, str(uuid.uuid4()))
        where = f"webhook {self.path} {action} {record.fqdn}"
        try:
            response = await client.CustomObjectsApi(self.api).create_cluster_custom_object(
                self.group_name,
                VERSION,
                self.solver_name,
                body,
                _preload_content=False,
                _request_timeout=self.timeout,
            )
        except client.ApiException as exc:  # raised only where the library read the answer itself
            raise Dns01ProviderError(f"{where} ({exc.status}): {exc.reason}") from None
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise Dns01ProviderError(f"{where}: the API server is unreachable: {exc}") from None
        try:
            data = await response.read()
        finally:
            response.release()
        problem = outcome(response.status, data, where)
        if problem is not None:
            raise Dns01ProviderError(problem)
