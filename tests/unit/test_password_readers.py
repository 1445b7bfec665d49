"""Certificates that read a keystore password from a Secret look again when that Secret changes; a
pass reads it (ReadPasswords), and one missing fails the pass before anything is ordered."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from evercert.certificates import gather, outputs
from evercert.certificates.decide import decide
from evercert.certificates.facts import Facts
from evercert.certificates.password_secrets import PasswordReaders, password_secrets
from evercert.certificates.status import parse_status
from evercert.certificates.steps import Fail, ReadPasswords
from evercert.core import reasons


def body(name: str, password_secret: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "secretName": f"{name}-tls",
        "dnsNames": ["a.example"],
        "issuerRef": {"name": "le"},
    }
    if password_secret:
        ref = {"name": password_secret, "key": "password"}
        spec["keystores"] = {"jks": {"create": True, "passwordSecretRef": ref}}
    return {"metadata": {"name": name, "namespace": "shop"}, "spec": spec}


class FakeWatch:
    def __init__(self) -> None:
        self.started = 0
        self.changed: Callable[[str, str], None] | None = None

    async def __call__(self, changed: Callable[[str, str], None]) -> None:
        self.started += 1
        self.changed = changed
        await asyncio.Event().wait()


async def test_a_change_of_a_password_secret_asks_each_reader_to_look() -> None:
    watch, looks = FakeWatch(), []
    readers = PasswordReaders(watch, looks.append)
    readers.observe(("shop", "plain"), body("plain"))
    await asyncio.sleep(0)
    assert watch.started == 0, "no watch of Secrets while no Certificate needs one"
    readers.observe(("shop", "kafka"), body("kafka", "jks-password"))
    readers.observe(("shop", "zookeeper"), body("zookeeper", "jks-password"))
    await asyncio.sleep(0)
    assert watch.started == 1 and watch.changed is not None
    watch.changed("shop", "jks-password")
    assert sorted(looks) == [("shop", "kafka"), ("shop", "zookeeper")]
    looks.clear()
    watch.changed("shop", "other")
    watch.changed("elsewhere", "jks-password")
    assert looks == []
    readers.observe(("shop", "kafka"), body("kafka", "rotated-password"))
    readers.forget(("shop", "zookeeper"))
    watch.changed("shop", "jks-password")
    assert looks == []
    watch.changed("shop", "rotated-password")
    assert looks == [("shop", "kafka")]
    readers.observe(("shop", "kafka"), body("kafka", "third-password"))
    await readers.stop()
    assert watch.started == 1


def test_only_keystores_that_are_created_read_a_password_secret() -> None:
    assert password_secrets({"metadata": {"name": "x", "namespace": "shop"}, "spec": {}}) == frozenset()
    assert password_secrets(body("k", "pw")) == {("shop", "pw")}
    off = body("k", "pw")
    off["spec"]["keystores"]["jks"]["create"] = False
    assert password_secrets(off) == frozenset()
    literal = body("k")
    literal["spec"]["keystores"] = {"pkcs12": {"create": True, "password": "x"}}
    assert password_secrets(literal) == frozenset()


async def test_a_pass_reads_the_password_and_a_missing_secret_fails_it(monkeypatch: Any) -> None:
    async def no_secret(kube: Any, namespace: str, name: str) -> None:
        assert (namespace, name) == ("shop", "pw")
        return None

    monkeypatch.setattr(outputs, "read_secret", no_secret)
    spec = gather.parse_certificate(body("web", "pw"))
    facts = Facts(parse_status(None), spec)
    now = datetime.now(UTC)
    assert isinstance(decide(facts, now), ReadPasswords)
    parts: Any = SimpleNamespace(kube=None)
    answered = await gather.answer(parts, facts, gather.Sessions(parts, facts), ReadPasswords())
    assert answered.passwords is None
    step = decide(answered, now)
    assert isinstance(step, Fail) and step.look is None, step
    assert step.error.reason == reasons.KEYSTORE_PASSWORD_UNAVAILABLE
