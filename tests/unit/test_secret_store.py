"""The SecretStore (certificates/secret_store.py): facts of each tls Secret, for looks and for reload."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from evercert.certificates.secret_store import SecretStore
from evercert.certificates.tls_secret import read_contents
from evercert.reload import IssuedCertificate

T0 = datetime(2026, 5, 1, tzinfo=UTC)


def secret(
    name: str, cert: x509.Certificate | None, key: Any = None, namespace: str = "shop"
) -> dict[str, Any]:
    data = {}
    if cert is not None:
        data["tls.crt"] = base64.b64encode(cert.public_bytes(serialization.Encoding.PEM)).decode()
    if key is not None:
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        data["tls.key"] = base64.b64encode(pem).decode()
    return {
        "type": "kubernetes.io/tls",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "resourceVersion": "7",
            "annotations": {"evercert.dev/certificate-name": "web", "other.io/x": "y"},
        },
        "data": data,
    }


def test_keeps_facts_for_looks_and_certificates_for_reload(
    make_ca: Callable[..., Any], issue_leaf: Callable[..., x509.Certificate]
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = issue_leaf(make_ca(), key, ["www.example.org"], T0, T0 + timedelta(days=90))
    store = SecretStore()
    store.observe(secret("web-tls", cert, key))
    store.observe(secret("empty-tls", None))
    store.observe(secret("web-tls", cert, key, namespace="other"))

    served = store.served("shop", "web-tls")
    assert served is not None and served.key_matches and served.resource_version == "7"
    assert served.info is not None and served.info.dns_names == ("www.example.org",)
    assert served.annotations == {"evercert.dev/certificate-name": "web"}
    assert store.issued_in("shop") == {
        "web-tls": IssuedCertificate("web-tls", format(cert.serial_number, "x"), T0)
    }
    assert store.served("shop", "missing") is None and store.served("nowhere", "web-tls") is None
    assert len(store) == 3

    store.forget("shop", "web-tls")
    store.forget("shop", "empty-tls")
    assert store.served("shop", "web-tls") is None
    assert store.issued_in("shop") == {}
    assert len(store) == 1


def test_packed_facts_read_back_as_the_secret_says(
    make_ca: Callable[..., Any], issue_leaf: Callable[..., x509.Certificate]
) -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    other_key = ec.generate_private_key(ec.SECP256R1())
    cert = issue_leaf(
        make_ca(common_name="Shop CA"),
        key,
        ["a.example.org", "b.example.org"],
        T0,
        T0 + timedelta(days=90),
        common_name="a.example.org",
    )
    bodies = [
        secret("web-tls", cert, key),
        secret("mixed-tls", cert, other_key),
        secret("key-only", None, key),
    ]
    bodies[0]["metadata"]["annotations"]["evercert.dev/issuer-name"] = "letsencrypt"
    store = SecretStore()
    for body in bodies:
        store.observe(body)
        assert store.served("shop", body["metadata"]["name"]) == read_contents(body)

    served = store.served("shop", "web-tls")
    assert served is not None and served.info is not None
    assert served.info.not_after == T0 + timedelta(days=90) and served.info.not_after.tzinfo is not None
    assert served.key_type == ("ECDSA", 384) and served.info.issuer_common_name == "Shop CA"
    mixed = store.served("shop", "mixed-tls")
    assert mixed is not None and not mixed.key_matches and mixed.has_key
    assert set(store.issued_in("shop")) == {"web-tls", "mixed-tls"}
