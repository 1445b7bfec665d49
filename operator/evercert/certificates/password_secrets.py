"""Which Certificates read a keystore password from which Secret, and a look for each when that Secret
changes. The watch of password Secrets (kube/secret_changes.py) starts when a Certificate first names one."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from ..api.outputs import password_secret_names
from .store import Key

Watch = Callable[[Callable[[str, str], None]], Awaitable[None]]


def password_secrets(body: Mapping[str, Any]) -> frozenset[Key]:
    """The (namespace, name) of every Secret the Certificate's keystores read a password from."""
    namespace = str((body.get("metadata") or {}).get("namespace") or "")
    return frozenset((namespace, name) for name in password_secret_names(body))


class PasswordReaders:
    """Password Secret -> the Certificates that read it; a change of the Secret asks each to look."""

    def __init__(self, watch: Watch, look_again: Callable[[Key], None]) -> None:
        self._watch, self._look_again = watch, look_again
        self._readers: dict[Key, set[Key]] = {}
        self._read_by: dict[Key, frozenset[Key]] = {}
        self._task: asyncio.Task[None] | None = None

    def observe(self, certificate: Key, body: Mapping[str, Any]) -> None:
        self._set(certificate, password_secrets(body))
        if self._readers and self._task is None:
            self._task = asyncio.create_task(self._watch(self.changed), name="keystore password Secrets")

    def forget(self, certificate: Key) -> None:
        self._set(certificate, frozenset())

    def readers(self, secret: Key) -> frozenset[Key]:
        return frozenset(self._readers.get(secret, ()))

    def changed(self, namespace: str, name: str) -> None:
        for certificate in self.readers((namespace, name)):
            self._look_again(certificate)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _set(self, certificate: Key, secrets: frozenset[Key]) -> None:
        for secret in self._read_by.pop(certificate, frozenset()) - secrets:
            readers = self._readers[secret]
            readers.discard(certificate)
            if not readers:
                del self._readers[secret]
        for secret in secrets:
            self._readers.setdefault(secret, set()).add(certificate)
        if secrets:
            self._read_by[certificate] = secrets
