"""The next private key (certificates/next_key.py)."""

from __future__ import annotations

import threading
from typing import Any

from kubernetes_asyncio.client.exceptions import ApiException

from evercert.api.certificate import parse_certificate
from evercert.certificates import next_key
from evercert.pki import generate_private_key
from tests.support.kube_answers import Answer


class FakeCore:
    def __init__(self) -> None:
        self.created: list[dict[str, Any]] = []

    async def read_namespaced_secret(self, name: str, namespace: str, **_: Any) -> None:
        raise ApiException(status=404)

    async def create_namespaced_secret(self, namespace: str, body: dict[str, Any], **_: Any) -> Answer:
        self.created.append(body)
        return Answer(201, body)


class FakeKube:
    def __init__(self) -> None:
        self.core = FakeCore()


async def test_a_new_key_is_made_off_the_event_loop_and_kept_in_its_secret(monkeypatch: Any) -> None:
    made_in: list[threading.Thread] = []

    def generate(algorithm: str, size: int) -> Any:
        made_in.append(threading.current_thread())
        return generate_private_key(algorithm, size)

    monkeypatch.setattr(next_key, "generate_private_key", generate)
    spec = parse_certificate(
        {
            "metadata": {"name": "web", "namespace": "team", "uid": "u1", "generation": 1},
            "spec": {
                "secretName": "web-tls",
                "dnsNames": ["web.example.org"],
                "issuerRef": {"name": "ca", "kind": "ClusterIssuer"},
                "privateKey": {"algorithm": "ECDSA", "size": 256},
            },
        }
    )
    kube = FakeKube()
    key_pem, _ = await next_key.next_private_key(kube, spec, None)  # type: ignore[arg-type]
    assert made_in and made_in[0] is not threading.main_thread()
    assert [s["metadata"]["name"] for s in kube.core.created] == ["web-next-key"]
    assert key_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
