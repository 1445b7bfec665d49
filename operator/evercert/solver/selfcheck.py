"""Before telling the CA, check that the challenge route answers the key authorization over HTTP."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from ..core import constants
from ..core.errors import SelfCheckFailed
from .challenge import url_host

FIRST_DELAY = 0.05
MAX_DELAY = 2.0


async def wait_for_route(
    dns_name: str, token: str, key_authorization: str, *, address: str | None, timeout: float
) -> None:
    """Poll the challenge URL (at `address` with the name as Host, when set) until it answers."""
    path = f"{constants.ACME_CHALLENGE_PATH}{token}"
    url = f"http://{address or url_host(dns_name)}{path}"
    headers = {"Host": url_host(dns_name)}
    deadline = time.monotonic() + timeout
    delay, last = FIRST_DELAY, "no answer yet"
    client_timeout = aiohttp.ClientTimeout(total=5)
    async with aiohttp.ClientSession(timeout=client_timeout) as session:
        while True:
            try:
                async with session.get(url, headers=headers, allow_redirects=True) as response:
                    body = (await response.content.read(4096)).decode(errors="replace").strip()
                    if response.status == 200 and body == key_authorization:
                        return
                    last = f"HTTP {response.status}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                last = f"{type(exc).__name__}: {exc}"
            if time.monotonic() + delay > deadline:
                raise SelfCheckFailed(
                    f"the HTTP-01 route http://{dns_name}{path} did not answer the key authorization "
                    f"within {timeout:.0f} s (last: {last}); check the Ingress controller and DNS"
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_DELAY)
