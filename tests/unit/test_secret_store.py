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
