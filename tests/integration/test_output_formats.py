"""Output formats and keystores issued through Pebble, then handed to the programs that read them:
HAProxy serves tls-combined.pem (an `openssl s_client` handshake verifies it), the JDK's keytool opens
keystore.p12 and keystore.jks with their passwords, openssl reads key.der. Formats, keystores and
passwords change without a new certificate; a missing password Secret leaves the live Secret alone."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from evercert_devenv.environment import LocalEnvironment
from evercert_devenv.processes import Server
from tests.support import consumers

from ..support.cluster import condition, get
from ..support.waiting import wait_for
from .helpers import certificate, event_reasons, serial, tls_data, wait_ready

NAME = "www.formats.example"
KEYSTORES = {
    "pkcs12": {
        "create": True,
        "profile": "Modern2023",
        "passwordSecretRef": {"name": "keystore-password", "key": "password"},
    },
    "jks": {"create": True, "alias": "kafka", "password": "jks-changeit"},
}
ALL_OUTPUTS = {
    "privateKey": {"algorithm": "RSA", "size": 2048, "encoding": "PKCS1"},
    "additionalOutputFormats": [{"type": "CombinedPEM"}, {"type": "DER"}],
    "keystores": KEYSTORES,
}


@pytest.fixture(scope="module", autouse=True)
def installed_consumers() -> None:
    consumers.install_consumers()


def password_secret(namespace: str, password: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "keystore-password", "namespace": namespace, "labels": labels or {}},
        "stringData": {"password": password},
    }


def secret_files(env: LocalEnvironment, namespace: str, secret_name: str, into: Path) -> dict[str, Path]:
    secret = get(env, "secret", namespace, secret_name)
    assert secret is not None, f"Secret {secret_name} missing"
    files = {}
    for key, value in secret["data"].items():
        files[key] = into / key
        files[key].write_bytes(base64.b64decode(value))
    return files


def test_every_format_is_read_by_its_real_consumer(
    env: LocalEnvironment, operator: Server, namespace: str, tmp_path: Path
) -> None:
    env.apply(password_secret(namespace, "p12-changeit"))
    env.apply(certificate(namespace, "formats", [NAME], **ALL_OUTPUTS))
    wait_ready(env, namespace, "formats", process=operator)
    files = secret_files(env, namespace, "formats-tls", tmp_path)
    assert files["tls.key"].read_bytes().startswith(b"-----BEGIN RSA PRIVATE KEY-----")
    root = tmp_path / "pebble-root.pem"
    root.write_bytes(env.pebble.root_pem())

    with consumers.haproxy_serving(files["tls-combined.pem"], tmp_path) as port:
        handshake = consumers.tls_handshake(port, NAME, root)
    assert "Verify return code: 0 (ok)" in handshake, handshake
    served = handshake.split("-----BEGIN CERTIFICATE-----", 1)[1].split("-----END CERTIFICATE-----", 1)[0]
    issued = files["tls.crt"].read_text().split("-----BEGIN CERTIFICATE-----", 2)[1]
    assert served.split() == issued.split("-----END CERTIFICATE-----", 1)[0].split(), "HAProxy served another"

    leaf_key = consumers.openssl_certificate_public_key(files["tls.crt"])
    assert consumers.openssl_public_key(files["key.der"], der=True) == leaf_key

    chain_length = len(tls_data(env, namespace, "formats-tls")[0].split(b"-----BEGIN CERTIFICATE-----")) - 1
    p12 = consumers.keytool_list(files["keystore.p12"], "p12-changeit", "PKCS12")
    jks = consumers.keytool_list(files["keystore.jks"], "jks-changeit", "JKS")
    assert [(e.kind, e.chain_length) for e in p12] == [("PrivateKeyEntry", chain_length)]
    key_entries = [e for e in jks if e.kind == "PrivateKeyEntry"]
    assert [(e.alias, e.chain_length) for e in key_entries] == [("kafka", chain_length)]
    for store, password, kind in (
        (files["keystore.p12"], "p12-changeit", "PKCS12"),
        (files["keystore.jks"], "jks-changeit", "JKS"),
    ):
        assert "1 entries successfully imported" in consumers.keytool_opens_key(
            store, password, kind, tmp_path
        )
    # Pebble sends no self-signed root along, so no CA certificate is known: no truststores.
    assert "ca.crt" not in files and "truststore.p12" not in files and "truststore.jks" not in files


def test_formats_and_passwords_change_without_a_new_certificate(
    env: LocalEnvironment, operator: Server, namespace: str, tmp_path: Path
) -> None:
    env.apply(password_secret(namespace, "p12-changeit"))
    env.apply(certificate(namespace, "formats", [NAME], **ALL_OUTPUTS))
    wait_ready(env, namespace, "formats", process=operator)
    first = serial(tls_data(env, namespace, "formats-tls")[0])

    def data() -> dict[str, str]:
        return (get(env, "secret", namespace, "formats-tls") or {}).get("data") or {}

    # A new password in the password Secret: keystore.p12 is written again with it.
    old_p12 = data()["keystore.p12"]
    env.apply(password_secret(namespace, "p12-rotated"))
    wait_for(lambda: data().get("keystore.p12") != old_p12, 60, "keystore.p12 rewritten", operator)
    files = secret_files(env, namespace, "formats-tls", tmp_path)
    assert consumers.keytool_list(files["keystore.p12"], "p12-rotated", "PKCS12")
    with pytest.raises(AssertionError):
        consumers.keytool_list(files["keystore.p12"], "p12-changeit", "PKCS12")

    # The outputs removed from the spec: only the tls files stay, the key back to PKCS#8.
    env.apply(certificate(namespace, "formats", [NAME], privateKey={"algorithm": "RSA", "size": 2048}))
    wait_for(lambda: set(data()) == {"tls.crt", "tls.key"}, 60, "the outputs removed", operator)
    assert tls_data(env, namespace, "formats-tls")[1].startswith(b"-----BEGIN PRIVATE KEY-----")
    assert serial(tls_data(env, namespace, "formats-tls")[0]) == first, "a format change reissued"
    wait_ready(env, namespace, "formats", process=operator)


def test_a_missing_password_secret_is_reported_and_the_live_secret_left_alone(
    env: LocalEnvironment, operator: Server, namespace: str
) -> None:
    env.apply(certificate(namespace, "formats", [NAME], privateKey={"algorithm": "RSA", "size": 2048}))
    wait_ready(env, namespace, "formats", process=operator)
    before = get(env, "secret", namespace, "formats-tls") or {}

    env.apply(certificate(namespace, "formats", [NAME], **ALL_OUTPUTS))
    wait_for(
        lambda: condition(env, "certificate", namespace, "formats", "Ready") == "False",
        60,
        "Ready=False",
        operator,
    )
    ready = next(
        c
        for c in (get(env, "certificate", namespace, "formats") or {})["status"]["conditions"]
        if c["type"] == "Ready"
    )
    assert ready["reason"] == "KeystorePasswordUnavailable", ready
    assert "keystore-password" in ready["message"], ready
    assert "KeystorePasswordUnavailable" in event_reasons(env, namespace, "formats")
    after = get(env, "secret", namespace, "formats-tls") or {}
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]

    # The password Secret appears, labelled as evercert's watch of password Secrets selects them (unlabelled,
    # it is found at the next look): the keystores are written, Ready again, the same certificate.
    env.apply(password_secret(namespace, "p12-changeit", {"evercert.dev/keystore-password": "true"}))
    wait_for(
        lambda: "keystore.p12" in ((get(env, "secret", namespace, "formats-tls") or {}).get("data") or {}),
        60,
        "keystore.p12 written",
        operator,
    )
    wait_ready(env, namespace, "formats", process=operator)
    assert serial(tls_data(env, namespace, "formats-tls")[0]) == serial(
        base64.b64decode(before["data"]["tls.crt"])
    )
