"""acme-dns (the `acmeDNS` solver): one TXT value per registered subdomain, set over its REST API.

The user's `_acme-challenge.<name>` is a CNAME to `<subdomain>.<acme-dns zone>`; the account Secret holds
cert-manager's JSON map of identifier -> {username, password, fulldomain, subdomain, allowfrom}.
acme-dns keeps the last two values of a subdomain and has no delete: `clean_up` does nothing, and the
next value pushes ours out. Two values at once is what a `*.x` + `x` order needs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp

from ..core.errors import Dns01ProviderError
from .provider import TxtRecord

TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class AcmeDnsAccount:
    """One registration with acme-dns (the answer of its /register)."""

    username: str
    password: str
    subdomain: str
    fulldomain: str = ""


def parse_accounts(raw: bytes | str, where: str) -> dict[str, AcmeDnsAccount]:
    """The account Secret's JSON map, keyed by identifier; `where` names the Secret key for the message."""
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise Dns01ProviderError(f"{where} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise Dns01ProviderError(f"{where} must be a JSON object of domain -> acme-dns account")
    accounts: dict[str, AcmeDnsAccount] = {}
    for domain, entry in data.items():
        if not isinstance(entry, dict):
            raise Dns01ProviderError(f"{where}: the account of {domain} is not an object")
        missing = [key for key in ("username", "password", "subdomain") if not entry.get(key)]
        if missing:
            raise Dns01ProviderError(f"{where}: the account of {domain} lacks {', '.join(missing)}")
        accounts[domain.lower().rstrip(".")] = AcmeDnsAccount(
            username=str(entry["username"]),
            password=str(entry["password"]),
            subdomain=str(entry["subdomain"]),
            fulldomain=str(entry.get("fulldomain", "")),
        )
    return accounts


class AcmeDns:
    """Sets TXT values through acme-dns's `POST /update`, with the account of the identifier."""

    def __init__(
        self,
        host: str,
        accounts: Mapping[str, AcmeDnsAccount],
        session: aiohttp.ClientSession | None = None,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.host = host.rstrip("/")
        self.accounts = accounts
        self.session = session
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    def account_for(self, record: TxtRecord) -> AcmeDnsAccount:
        """Looked up by the identifier (without `*.`), as cert-manager does."""
        account = self.accounts.get(record.dns_name.lower().rstrip("."))
        if account is None:
            raise Dns01ProviderError(
                f"acme-dns: no account for {record.dns_name} in the account Secret "
                f"(it has {', '.join(sorted(self.accounts)) or 'none'})"
            )
        return account

    async def present(self, record: TxtRecord) -> None:
        account = self.account_for(record)
        headers = {"X-Api-User": account.username, "X-Api-Key": account.password}
        body = {"subdomain": account.subdomain, "txt": record.value}
        try:
            if self.session is not None:
                status, text = await self._post(self.session, headers, body)
            else:  # one value per name and attempt: a session of its own costs less than keeping one
                async with aiohttp.ClientSession() as session:
                    status, text = await self._post(session, headers, body)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Dns01ProviderError(
                f"acme-dns at {self.host} unreachable: {exc or type(exc).__name__}"
            ) from None
        if status != 200:
            raise Dns01ProviderError(
                f"acme-dns at {self.host} refused the update ({status}): {error_text(text)}"
            )

    async def _post(
        self, session: aiohttp.ClientSession, headers: Mapping[str, str], body: Mapping[str, str]
    ) -> tuple[int, str]:
        async with session.post(
            f"{self.host}/update", json=body, headers=headers, timeout=self.timeout
        ) as response:
            return response.status, (await response.text()).strip()

    async def clean_up(self, record: TxtRecord) -> None:
        """Nothing to do: acme-dns has no delete; it keeps a subdomain's last two values only."""


def error_text(body: str) -> str:
    """acme-dns answers errors as {"error": "..."}; anything else is shown as it came, cut short."""
    try:
        data = json.loads(body)
    except ValueError:
        return body[:200]
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return data["error"]
    return body[:200]
