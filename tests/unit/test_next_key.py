"""The next private key (certificates/next_key.py)."""

from __future__ import annotations

import base64
import threading
from typing import Any

from cryptography.hazmat.primitives import serialization

from evercert.api.certificate import parse_certificate
from evercert.certificates import next_key
from evercert.pki import generate_private_key
from tests.support.kube_answers import Answer


class FakeCore:
    """Secrets by name; every call is recorded."""

    def __init__(self, existing: dict[str, Any] | None = None) -> None:
        self.secrets: dict[str, dict[str, Any]] = (
            {} if existing is None else {existing["metadata"]["name"]: existing}
        )
        self.calls: list[str] = []

    async def read_namespaced_secret(self, name: str, namespace: str, **_: Any) -> Answer:
        self.calls.append(f"get {name}")
        if name not in self.secrets:
            return Answer(404, {"kind": "Status", "code": 404})
        return Answer(200, self.secrets[name])

    async def create_namespaced_secret(self, namespace: str, body: dict[str, Any], **_: Any) -> Answer:
        name = body["metadata"]["name"]
        self.calls.append(f"create {name}")
        if name in self.secrets:
            return Answer(409, {"kind": "Status", "code": 409})
        self.secrets[name] = body
        return Answer(201, body)

    async def replace_namespaced_secret(
        self, name: str, namespace: str, body: dict[str, Any], **_: Any
    ) -> Answer:
        self.calls.append(f"replace {name}")
        assert body["metadata"]["resourceVersion"] == self.secrets[name]["metadata"]["resourceVersion"]
        self.secrets[name] = body
        return Answer(200, body)


class FakeKube:
    def __init__(self, existing: dict[str, Any] | None = None) -> None:
        self.core = FakeCore(existing)


SPEC = {
    "metadata": {"name": "web", "namespace": "team", "uid": "u1", "generation": 1},
    "spec": {
        "secretName": "web-tls",
        "dnsNames": ["web.example.org"],
        "issuerRef": {"name": "ca", "kind": "ClusterIssuer"},
        "privateKey": {"algorithm": "ECDSA", "size": 256},
    },
}


def stored_secret(labels: dict[str, str], key_pem: bytes) -> dict[str, Any]:
    return {
        "metadata": {"name": "web-next-key", "namespace": "team", "resourceVersion": "41", "labels": labels},
        "data": {"tls.key": base64.b64encode(key_pem).decode()},
    }


def pem_of(key: Any) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


async def test_a_new_key_is_made_off_the_event_loop_and_kept_in_its_secret(monkeypatch: Any) -> None:
    made_in: list[threading.Thread] = []

    def generate(algorithm: str, size: int) -> Any:
        made_in.append(threading.current_thread())
        return generate_private_key(algorithm, size)

    monkeypatch.setattr(next_key, "generate_private_key", generate)
    spec = parse_certificate(SPEC)
    kube = FakeKube()
    key_pem, _ = await next_key.next_private_key(kube, spec, None)  # type: ignore[arg-type]
    assert made_in and made_in[0] is not threading.main_thread()
    assert kube.core.calls == ["create web-next-key"]  # no read: the Secret is created first
    assert key_pem.startswith(b"-----BEGIN PRIVATE KEY-----")


async def test_the_key_of_a_resumed_issuance_is_taken_from_its_secret() -> None:
    kept = pem_of(generate_private_key("ECDSA", 256))
    kube = FakeKube(stored_secret({"evercert.dev/next-private-key": "true"}, kept))
    key_pem, _ = await next_key.next_private_key(kube, parse_certificate(SPEC), None)  # type: ignore[arg-type]
    assert key_pem == kept
    assert kube.core.calls == ["create web-next-key", "get web-next-key"]


async def test_a_secret_of_that_name_without_a_next_key_is_replaced() -> None:
    kube = FakeKube(stored_secret({}, b"not a key"))
    key_pem, _ = await next_key.next_private_key(kube, parse_certificate(SPEC), None)  # type: ignore[arg-type]
    assert key_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert kube.core.calls == ["create web-next-key", "get web-next-key", "replace web-next-key"]
    assert base64.b64decode(kube.core.secrets["web-next-key"]["data"]["tls.key"]) == key_pem


async def test_an_issuance_resuming_its_order_reads_its_key_first_and_makes_none(monkeypatch: Any) -> None:
    made: list[str] = []
    monkeypatch.setattr(next_key, "generate_private_key", lambda *args: made.append("key"))
    kept = pem_of(generate_private_key("ECDSA", 256))
    kube = FakeKube(stored_secret({"evercert.dev/next-private-key": "true"}, kept))
    key_pem, _ = await next_key.next_private_key(kube, parse_certificate(SPEC), None, resuming=True)  # type: ignore[arg-type]
    assert key_pem == kept and made == []
    assert kube.core.calls == ["get web-next-key"]
