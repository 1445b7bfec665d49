"""A status write sent from a worker thread, not the event loop, for the one write whose delay costs
something: an ACME order just made is known nowhere else until its URL is in the Certificate's status.

On a busy event loop a request waits for many turns of the loop before it leaves; from the ACME
thread that made the order it leaves at once. Same server, credentials and timeout as the operator's
client (its Configuration)."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

import requests
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException
from requests.adapters import HTTPAdapter

from .. import constants

MERGE_PATCH = "application/merge-patch+json"
# Kept open and shared by the ACME threads, so that a write seldom waits for a TLS handshake.
CONNECTIONS = 4


class PromptWriter:
    """Merge-patches of a Certificate's status over plain HTTP, callable from any thread (blocking)."""

    def __init__(self, configuration: client.Configuration, timeout: float) -> None:
        self._configuration = configuration
        self._timeout = timeout
        self._session: requests.Session | None = None
        self._lock = threading.Lock()

    def patch_certificate_status(self, namespace: str, name: str, status: Mapping[str, Any]) -> None:
        """Raises ApiException as the operator's client would (status and reason kept)."""
        path = (
            f"/apis/{constants.GROUP}/{constants.VERSION}/namespaces/{namespace}"
            f"/{constants.CERTIFICATES}/{name}/status"
        )
        response = self._connected().patch(
            self._configuration.host.rstrip("/") + path,
            data=json.dumps({"status": dict(status)}),
            headers=self._headers(),
            timeout=self._timeout,
        )
        if response.status_code >= 300:
            raise ApiException(status=response.status_code, reason=response.reason)

    def close(self) -> None:
        with self._lock:
            if self._session is not None:
                self._session.close()
                self._session = None

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": MERGE_PATCH, "Accept": "application/json"}
        # The operator's client keeps this value fresh (its refresh hook runs on each of its requests).
        token = self._configuration.api_key.get("BearerToken")
        if token:
            prefix = self._configuration.api_key_prefix.get("BearerToken")
            headers["Authorization"] = f"{prefix} {token}" if prefix else token
        return headers

    def _connected(self) -> requests.Session:
        with self._lock:
            if self._session is None:
                self._session = _session(self._configuration)
            return self._session


def _session(conf: client.Configuration) -> requests.Session:
    session = requests.Session()
    # requests lets REQUESTS_CA_BUNDLE (and proxies) from the environment override the session's CA;
    # the apiserver's CA is the one to trust here, as for the operator's own client.
    session.trust_env = False
    session.verify = (conf.ssl_ca_cert or True) if conf.verify_ssl else False
    if conf.cert_file and conf.key_file:
        session.cert = (conf.cert_file, conf.key_file)
    if conf.proxy:
        session.proxies = {"https": conf.proxy, "http": conf.proxy}
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=CONNECTIONS)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
