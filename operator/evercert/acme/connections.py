"""One HTTP connection pool per CA, shared by every account and ACME thread that talks to it.

Without it each ACME session opened a TLS connection of its own (a handshake per look), and requests
read the environment (proxies, ~/.netrc) again for every request; here it is read once per pool."""

from __future__ import annotations

import os
import threading

import requests
from requests.adapters import HTTPAdapter

# Connections kept open to one CA: as many as ACME requests are in flight at once (one per ACME thread);
# a request beyond that opens a connection and closes it afterwards.
POOL_CONNECTIONS = 64

_pools: dict[str, requests.Session] = {}
_pools_lock = threading.Lock()


def pool_for(server: str) -> requests.Session:
    """The shared session of the CA whose directory is `server`."""
    with _pools_lock:
        session = _pools.get(server)
        if session is None:
            session = _pools[server] = _new_pool(server)
    return session


def _new_pool(server: str) -> requests.Session:
    session = requests.Session()
    # The proxy the environment names for this CA (HTTPS_PROXY, NO_PROXY), looked up once.
    session.proxies = requests.utils.get_environ_proxies(server)
    session.trust_env = False
    adapter = HTTPAdapter(pool_maxsize=POOL_CONNECTIONS)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def environment_verify(verify: bool | str) -> bool | str:
    """What requests would verify with: a CA bundle named by the environment when none is configured."""
    if verify is True:
        return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    return verify
