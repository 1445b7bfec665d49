"""What the watch of evercert's tls Secrets keeps of each: facts, never key material. The looks read
what a Secret serves; reload reads which certificate each Secret of a namespace holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..kube.priming import Priming
from ..reload.plan import IssuedCertificate, issued_from
from .tls_secret import SecretContents, read_contents

Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class StoredSecret:
    contents: SecretContents
    issued: IssuedCertificate | None  # None: it holds no certificate that parses


class SecretStore:
    def __init__(self) -> None:
        self._namespaces: dict[str, dict[str, StoredSecret]] = {}
        # Complete once every tls Secret listed at start has come through the watch.
        self.priming = Priming("tls Secrets")

    def observe(self, body: Mapping[str, Any]) -> None:
        meta = body.get("metadata") or {}
        contents = read_contents(body)
        stored = StoredSecret(contents, issued_from(meta, contents.info))
        self._namespaces.setdefault(meta["namespace"], {})[meta["name"]] = stored
        self.priming.delivered((meta["namespace"], meta["name"]))

    def forget(self, namespace: str, name: str) -> None:
        secrets = self._namespaces.get(namespace)
        if secrets is not None:
            secrets.pop(name, None)
            if not secrets:
                del self._namespaces[namespace]
        self.priming.delivered((namespace, name))

    def served(self, namespace: str, name: str) -> SecretContents | None:
        stored = self._namespaces.get(namespace, {}).get(name)
        return stored.contents if stored is not None else None

    def issued_in(self, namespace: str) -> dict[str, IssuedCertificate]:
        """Secret name → the certificate it holds, for the Secrets of one namespace that hold one."""
        secrets = self._namespaces.get(namespace, {})
        return {name: s.issued for name, s in secrets.items() if s.issued is not None}

    def __len__(self) -> int:
        return sum(len(secrets) for secrets in self._namespaces.values())
