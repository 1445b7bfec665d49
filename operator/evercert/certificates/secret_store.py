"""What the watch of evercert's tls Secrets keeps of each: facts, never key material. The looks read
what a Secret serves; reload reads which certificate each Secret of a namespace holds."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from ..kube.priming import Priming
from ..pki import CertificateInfo
from ..reload.plan import IssuedCertificate, issued_from
from .tls_secret import SecretContents, read_contents

Key = tuple[str, str]


def pack(contents: SecretContents, issued: IssuedCertificate | None) -> bytes:
    """The facts as compact JSON, a third of their size as objects (~400 bytes a Secret)."""
    info = contents.info
    facts = [
        None
        if info is None
        else [
            info.serial_hex,
            _seconds(info.not_before),
            _seconds(info.not_after),
            info.dns_names,
            info.common_name,
            info.issuer_common_name,
            info.ip_addresses,
        ],
        contents.has_key,
        contents.key_matches,
        contents.key_type,
        contents.annotations,
        contents.ari_id,
        contents.resource_version,
        contents.files,
        None if issued is None else _seconds(issued.issued_at),
    ]
    return json.dumps(facts, separators=(",", ":")).encode()


def unpack_contents(packed: bytes) -> SecretContents:
    info, has_key, key_matches, key_type, annotations, ari_id, resource_version, files, _ = json.loads(packed)
    return SecretContents(
        info=_info(info) if info is not None else None,
        has_key=has_key,
        key_matches=key_matches,
        key_type=(key_type[0], key_type[1]) if key_type is not None else None,
        annotations=annotations,
        ari_id=ari_id,
        resource_version=resource_version,
        files=tuple(files),
    )


def unpack_issued(name: str, packed: bytes) -> IssuedCertificate | None:
    facts = json.loads(packed)
    info, issued_at = facts[0], facts[-1]
    return None if issued_at is None else IssuedCertificate(name, info[0], _time(issued_at))


class SecretStore:
    def __init__(self) -> None:
        self._namespaces: dict[str, dict[str, bytes]] = {}
        # Complete once every tls Secret listed at start has come through the watch.
        self.priming = Priming("tls Secrets")

    def observe(self, body: Mapping[str, Any]) -> None:
        meta = body.get("metadata") or {}
        contents = read_contents(body)
        packed = pack(contents, issued_from(meta, contents.info))
        self._namespaces.setdefault(meta["namespace"], {})[meta["name"]] = packed
        self.priming.delivered((meta["namespace"], meta["name"]))

    def forget(self, namespace: str, name: str) -> None:
        secrets = self._namespaces.get(namespace)
        if secrets is not None:
            secrets.pop(name, None)
            if not secrets:
                del self._namespaces[namespace]
        self.priming.delivered((namespace, name))

    def served(self, namespace: str, name: str) -> SecretContents | None:
        packed = self._namespaces.get(namespace, {}).get(name)
        return unpack_contents(packed) if packed is not None else None

    def issued_in(self, namespace: str) -> Mapping[str, IssuedCertificate]:
        """Secret name → the certificate it holds, for the Secrets of one namespace that hold one. A view:
        only the Secrets asked for are unpacked (reload asks for the few its workloads follow)."""
        return IssuedIn(dict(self._namespaces.get(namespace, {})))

    def __len__(self) -> int:
        return sum(len(secrets) for secrets in self._namespaces.values())


class IssuedIn(Mapping[str, IssuedCertificate]):
    """The certificates a namespace's Secrets hold, unpacked on access (see SecretStore.issued_in)."""

    def __init__(self, secrets: dict[str, bytes]) -> None:
        self._secrets = secrets

    def __getitem__(self, name: str) -> IssuedCertificate:
        packed = self._secrets.get(name)
        issued = unpack_issued(name, packed) if packed is not None else None
        if issued is None:
            raise KeyError(name)
        return issued

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[str]:
        return (name for name in self._secrets if name in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _seconds(moment: datetime) -> float:
    return moment.timestamp() if moment.microsecond else int(moment.timestamp())


def _time(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _info(facts: list[Any]) -> CertificateInfo:
    serial, not_before, not_after, dns_names, common_name, issuer, ips = facts
    return CertificateInfo(
        serial_hex=serial,
        not_before=_time(not_before),
        not_after=_time(not_after),
        dns_names=tuple(dns_names),
        common_name=common_name,
        issuer_common_name=issuer,
        ip_addresses=tuple(ips),
    )
