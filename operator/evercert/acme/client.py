"""An ACME client for one account: network with the account key, and the CA's directory (cached)."""

from __future__ import annotations

import threading
import time
from typing import Any

import josepy as jose
import requests
from acme import client as acme_client
from acme import errors as acme_errors
from acme import messages
from requests.utils import parse_header_links

from evercert import metrics
from evercert.acme.connections import environment_verify, pool_for
from evercert.acme.errors import acme_call, remember_response, translate
from evercert.acme.keys import jwk_from_pem, signature_algorithm
from evercert.acme.settings import AccountSettings
from evercert.core import reasons
from evercert.core.errors import AcmeFailure

NETWORK_TIMEOUT_SECONDS = 30
DIRECTORY_TTL_SECONDS = 3600
DIRECTORY_RESOURCES = ("newNonce", "newAccount", "newOrder")
# A badNonce answer means the CA did not act on the request, so sending it again with a fresh nonce is
# always safe; the cap only ends the attempt when a CA rejects every nonce.
BAD_NONCE_ATTEMPTS = 20

_directories: dict[tuple[str, bool | str], tuple[float, messages.Directory]] = {}
_directories_lock = threading.Lock()


class Network(acme_client.ClientNetwork):
    """The library's network, but its errors keep the HTTP status, Retry-After and problem document,
    a rejected nonce is retried until the CA takes one (the library retries once), and every HTTP
    request is counted and timed in the metrics. Its connections are the CA's shared pool."""

    def __init__(self, server: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.session.close()
        self.session = pool_for(server)

    def __del__(self) -> None:
        """The library closes its session here; the shared pool outlives any one client."""

    def _send_request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        started = time.monotonic()
        status = None
        try:
            response = super()._send_request(method, url, *args, **kwargs)
            status = response.status_code
            return response
        finally:
            metrics.observe_acme_request(method, url, status, time.monotonic() - started)

    def post(self, *args: Any, **kwargs: Any) -> requests.Response:
        attempts = 0
        while True:
            attempts += 1
            try:
                return self._post_once(*args, **kwargs)
            except messages.Error as error:
                if error.code != "badNonce" or attempts >= BAD_NONCE_ATTEMPTS:
                    raise

    @classmethod
    def _check_response(
        cls, response: requests.Response, content_type: str | None = None
    ) -> requests.Response:
        try:
            return super()._check_response(response, content_type=content_type)
        except acme_errors.Error as exc:
            remember_response(exc, response)
            raise


def network(settings: AccountSettings, key: jose.JWK) -> Network:
    """A network that signs with `key`, verifies TLS as configured and times out."""
    return Network(
        settings.server,
        key=key,
        alg=signature_algorithm(key),
        verify_ssl=environment_verify(settings.verify),  # type: ignore[arg-type]  # or a CA bundle path
        user_agent=settings.user_agent,
        timeout=NETWORK_TIMEOUT_SECONDS,
    )


def directory(settings: AccountSettings, net: acme_client.ClientNetwork) -> messages.Directory:
    """The CA's directory, fetched at most once an hour per (server, verify)."""
    key = (settings.server, settings.verify)
    with _directories_lock:
        cached = _directories.get(key)
    if cached and time.monotonic() - cached[0] < DIRECTORY_TTL_SECONDS:
        return cached[1]
    fetched = _fetch_directory(settings.server, net)
    with _directories_lock:
        _directories[key] = (time.monotonic(), fetched)
    return fetched


def _fetch_directory(server: str, net: acme_client.ClientNetwork) -> messages.Directory:
    """The directory at `server`; AcmeFailure saying so when what answers there is no ACME directory."""
    try:
        fetched = acme_client.ClientV2.get_directory(server, net)
    except Exception as exc:
        failure = translate(exc)
        if failure.reason != reasons.ACME_BAD_RESPONSE:
            raise failure from exc
        detail = failure.message
    else:
        missing = [name for name in DIRECTORY_RESOURCES if not getattr(fetched, name, None)]
        if not missing:
            metrics.learn_directory(server, fetched.to_partial_json())
            return fetched
        detail = f"its answer lacks {', '.join(missing)}"
    raise AcmeFailure(
        reasons.ACME_BAD_RESPONSE,
        f"{server} is not an ACME directory ({detail}): spec.acme.server must be the directory URL, "
        "e.g. https://acme-v02.api.letsencrypt.org/directory",
    )


def open_client(settings: AccountSettings, key_pem: bytes) -> acme_client.ClientV2:
    """A client signing with the account key but not yet bound to an account URI."""
    net = network(settings, jwk_from_pem(key_pem))
    return acme_client.ClientV2(directory(settings, net), net)


@acme_call()
def connect(settings: AccountSettings, key_pem: bytes, account_uri: str) -> acme_client.ClientV2:
    """A client acting as the registered account `account_uri`, ready for orders."""
    client = open_client(settings, key_pem)
    client.net.account = messages.RegistrationResource(uri=account_uri, body=messages.Registration())
    return client


def post_as_get(client: acme_client.ClientV2, url: str) -> requests.Response:
    """Fetch a resource with an authenticated POST-as-GET (RFC 8555 §6.3)."""
    return client._post_as_get(url)


def post(client: acme_client.ClientV2, url: str, payload: Any) -> requests.Response:
    """POST a signed JSON message; badNonce answers are retried (see Network.post)."""
    return client._post(url, payload)


def links(response: requests.Response, relation: str) -> list[str]:
    """Every Link URL of one relation (requests' `response.links` keeps only one per relation)."""
    header = response.headers.get("Link", "")
    return [
        link["url"] for link in parse_header_links(header) if link.get("rel") == relation and "url" in link
    ]
