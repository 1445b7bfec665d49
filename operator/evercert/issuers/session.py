"""One look's way to the CA as the issuer's account: made on first use and shared by ARI and the order.

A CA that forgot the account (its state was reset) gets the same key registered again, once per
forgotten account, whichever Certificate finds out first; the others reuse the new URI."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from ..acme import client as acme_client
from ..acme.account import register_account
from ..acme.settings import AccountSettings
from ..acme.threads import Blocking
from ..api.issuer import IssuerSpec
from ..core import constants, reasons
from ..events import EventRecorder, object_ref
from ..kube.client import Kube, patch_issuer_status
from . import accounts

log = logging.getLogger(__name__)


@dataclass
class AccountRegistry:
    """Accounts a CA forgot, and the URI each was registered again under."""

    registered_again: dict[str, str] = field(default_factory=dict)
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)


@dataclass(frozen=True)
class AccountAccess:
    """What acting as an issuer's account takes: its key's Secret (ClusterIssuers keep theirs in the
    cluster resource namespace), the ACME threads, and who to tell when a forgotten account returns."""

    kube: Kube
    blocking: Blocking
    events: EventRecorder
    registry: AccountRegistry
    cluster_resource_namespace: str

    async def account_key(self, issuer: IssuerSpec) -> bytes:
        return await accounts.read_account_key(self.kube, issuer, self.cluster_resource_namespace)

    async def settings(self, issuer: IssuerSpec) -> AccountSettings:
        return await accounts.account_settings(self.kube, issuer, self.cluster_resource_namespace)


class AcmeSession:
    def __init__(self, access: AccountAccess, issuer: IssuerSpec, account_uri: str) -> None:
        self.access = access
        self.issuer = issuer
        self.account_uri = account_uri
        self._client: Any = None

    async def client(self) -> Any:
        """The acme client acting as the account: settings, key and directory fetched once per session."""
        if self._client is None:
            settings = await self.access.settings(self.issuer)
            key_pem = await self.access.account_key(self.issuer)
            self._client = await self.blocking(acme_client.connect, settings, key_pem, self.account_uri)
        return self._client

    @property
    def blocking(self) -> Blocking:
        return self.access.blocking

    async def register_again(self) -> None:
        """The CA answered that it does not know the account: register the key again and go on with it."""
        forgotten = self.account_uri
        registry = self.access.registry
        async with registry.locks.setdefault(forgotten, asyncio.Lock()):
            known = registry.registered_again.get(forgotten)
            if known is None:
                known = await self._register()
                registry.registered_again[forgotten] = known
                self._announce(forgotten, known)
        self.account_uri = known
        self._client = None

    async def _register(self) -> str:
        issuer = self.issuer
        key_pem = await self.access.account_key(issuer)
        settings = await self.access.settings(issuer)
        uri = await self.blocking(register_account, settings, key_pem)
        await patch_issuer_status(
            self.access.kube, issuer.kind, issuer.namespace, issuer.name, {"acme": {"uri": uri}}
        )
        return uri

    def _announce(self, forgotten: str, uri: str) -> None:
        issuer = self.issuer
        message = f"the ACME server no longer knew account {forgotten}; registered the key again: {uri}"
        log.warning(
            "ACME account registered again", extra={"issuer": f"{issuer.kind}/{issuer.name}", "uri": uri}
        )
        ref = object_ref(constants.API_VERSION, issuer.kind, issuer.name, issuer.uid, issuer.namespace)
        self.access.events.post(ref, "Normal", reasons.ACCOUNT_REGISTERED, message)
