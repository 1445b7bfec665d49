"""`inspect secret`: the report on a tls Secret, and that it never shows the private key."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from evercert.cli.describe import NotATlsSecret, describe_tls_secret
from evercert.pki import private_key_to_pem

NOT_BEFORE = datetime(2026, 1, 1, tzinfo=UTC)
NOT_AFTER = NOT_BEFORE + timedelta(days=90)
NOW = NOT_BEFORE + timedelta(days=10)
NAMES = ["www.example.org", "example.org"]


def pem(*certs: x509.Certificate) -> bytes:
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certs)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def ca(make_ca):
    root = make_ca("evercert test root")
    return root, make_ca("evercert test intermediate", parent=root)


@pytest.fixture
def key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def leaf(issue_leaf, ca, key) -> x509.Certificate:
    return issue_leaf(ca[1], key, NAMES, NOT_BEFORE, NOT_AFTER)


def tls_secret(
    chain: bytes, key_pem: bytes | None, ca_pem: bytes | None = None, **annotations: str
) -> dict[str, Any]:
    data = {"tls.crt": b64(chain)}
    if key_pem is not None:
        data["tls.key"] = b64(key_pem)
    if ca_pem is not None:
        data["ca.crt"] = b64(ca_pem)
    defaults = {
        "evercert.dev/certificate-name": "www",
        "evercert.dev/issuer-name": "letsencrypt",
        "evercert.dev/issuer-kind": "ClusterIssuer",
    }
    return {
        "metadata": {"name": "www-tls", "namespace": "web", "annotations": {**defaults, **annotations}},
        "type": "kubernetes.io/tls",
        "data": data,
    }


def owner(**status: Any) -> dict[str, Any]:
    conditions = [{"type": "Ready", "status": "True", "reason": "Ready"}]
    return {"metadata": {"name": "www", "namespace": "web"}, "status": {"conditions": conditions, **status}}


def field(report: str, label: str) -> str:
    for line in report.splitlines():
        if line.startswith(f"{label}:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no {label!r} line in:\n{report}")


def test_reports_names_issuer_serial_validity_and_key_type(leaf, ca, key) -> None:
    secret = tls_secret(pem(leaf, ca[1].cert), private_key_to_pem(key))
    report = describe_tls_secret(secret, owner(revision=3), NOW)
    assert field(report, "Names") == "www.example.org, example.org"
    assert field(report, "Issuer") == "letsencrypt (ClusterIssuer)"
    assert field(report, "Issuer DN") == "CN=evercert test intermediate"
    assert field(report, "Serial") == format(leaf.serial_number, "x")
    assert field(report, "Not before") == "2026-01-01T00:00:00Z (10d ago)"
    assert field(report, "Not after") == "2026-04-01T00:00:00Z (80d left)"
    assert field(report, "Lifetime") == "90d"
    assert field(report, "Key") == "ECDSA P-256"
    assert field(report, "Private key") == "in tls.key, matches the certificate"
    assert field(report, "Certificate") == "www (Ready True, revision 3)"


def test_never_prints_the_private_key(leaf, ca, key) -> None:
    key_pem = private_key_to_pem(key)
    report = describe_tls_secret(tls_secret(pem(leaf, ca[1].cert), key_pem), owner(), NOW)
    body = b"".join(key_pem.splitlines()[1:-1]).decode()
    assert "PRIVATE KEY" not in report
    assert b64(key_pem) not in report
    assert all(line.decode() not in report for line in key_pem.splitlines()[1:-1])
    assert body[:16] not in report


def test_says_when_the_key_belongs_to_another_certificate(leaf, ca) -> None:
    stranger = private_key_to_pem(ec.generate_private_key(ec.SECP256R1()))
    report = describe_tls_secret(tls_secret(pem(leaf, ca[1].cert), stranger), None, NOW)
    assert field(report, "Private key").startswith("in tls.key, does NOT match")


def test_says_when_the_key_is_missing(leaf, ca) -> None:
    assert (
        field(describe_tls_secret(tls_secret(pem(leaf), None), None, NOW), "Private key")
        == "missing from tls.key"
    )


def test_lists_the_chain_and_checks_each_link(leaf, ca, key) -> None:
    report = describe_tls_secret(tls_secret(pem(leaf, ca[1].cert), private_key_to_pem(key)), None, NOW)
    assert "  [0] <none>  issued by CN=evercert test intermediate" in report
    assert "  [1] CN=evercert test intermediate  issued by CN=evercert test root" in report
    assert field(report, "Chain check").startswith("each certificate is signed by the next; no ca.crt")


def test_verifies_the_chain_up_to_ca_crt(leaf, ca, key) -> None:
    root, intermediate = ca
    report = describe_tls_secret(
        tls_secret(pem(leaf, intermediate.cert), private_key_to_pem(key), pem(root.cert)), None, NOW
    )
    assert field(report, "Chain check") == "verifies up to ca.crt for www.example.org"


def test_a_foreign_ca_crt_does_not_verify(leaf, ca, key, make_ca) -> None:
    other = make_ca("another root")
    report = describe_tls_secret(
        tls_secret(pem(leaf, ca[1].cert), private_key_to_pem(key), pem(other.cert)), None, NOW
    )
    assert field(report, "Chain check") == "does NOT verify up to ca.crt"


def test_a_chain_in_the_wrong_order_is_broken(leaf, ca, key) -> None:
    root = ca[0]
    report = describe_tls_secret(tls_secret(pem(leaf, root.cert), private_key_to_pem(key)), None, NOW)
    assert field(report, "Chain check") == "BROKEN: [0] is not signed by [1]"


def test_shows_the_ari_window_of_the_owning_certificate(leaf, ca, key) -> None:
    info = {
        "serial": format(leaf.serial_number, "x"),
        "windowStart": "2026-03-01T00:00:00Z",
        "windowEnd": "2026-03-03T00:00:00Z",
        "nextCheck": "2026-01-11T12:00:00Z",
    }
    status = {"renewalTime": "2026-03-02T00:00:00Z", "renewalInfo": info}
    report = describe_tls_secret(
        tls_secret(pem(leaf, ca[1].cert), private_key_to_pem(key)), owner(**status), NOW
    )
    assert field(report, "Renews") == "2026-03-02T00:00:00Z (in 50d)"
    assert field(report, "ARI window") == (
        "2026-03-01T00:00:00Z to 2026-03-03T00:00:00Z (starts in 49d), next check in 12h"
    )


def test_an_ari_record_for_another_serial_is_called_so(leaf, ca, key) -> None:
    status = {"renewalInfo": {"serial": "abc", "windowStart": "2026-03-01T00:00:00Z"}}
    report = describe_tls_secret(
        tls_secret(pem(leaf, ca[1].cert), private_key_to_pem(key)), owner(**status), NOW
    )
    assert field(report, "ARI window") == "recorded for another certificate (serial abc)"


def test_a_ca_without_ari_suggests_no_window(leaf, ca, key) -> None:
    status = {"renewalInfo": {"serial": format(leaf.serial_number, "x"), "nextCheck": "2026-01-11T12:00:00Z"}}
    report = describe_tls_secret(
        tls_secret(pem(leaf, ca[1].cert), private_key_to_pem(key)), owner(**status), NOW
    )
    assert field(report, "ARI window") == "the CA suggests none, next check in 12h"


def test_the_lifetime_counts_the_last_second(issue_leaf, ca, key) -> None:
    leaf = issue_leaf(ca[1], key, NAMES, NOT_BEFORE, NOT_AFTER - timedelta(seconds=1))
    report = describe_tls_secret(tls_secret(pem(leaf, ca[1].cert), private_key_to_pem(key)), None, NOW)
    assert field(report, "Lifetime") == "90d"


def test_an_expired_certificate_says_so(leaf, ca, key) -> None:
    later = NOT_AFTER + timedelta(days=3)
    report = describe_tls_secret(tls_secret(pem(leaf, ca[1].cert), private_key_to_pem(key)), None, later)
    assert field(report, "Not after") == "2026-04-01T00:00:00Z (EXPIRED 3d ago)"


def test_a_serial_annotation_that_disagrees_is_shown(leaf, ca, key) -> None:
    secret = tls_secret(pem(leaf, ca[1].cert), private_key_to_pem(key), **{"evercert.dev/serial": "abc"})
    assert "the annotation evercert.dev/serial says abc" in field(
        describe_tls_secret(secret, None, NOW), "Serial"
    )


def test_a_secret_evercert_did_not_write_has_no_owner(leaf, ca, key) -> None:
    secret = tls_secret(pem(leaf, ca[1].cert), private_key_to_pem(key))
    secret["metadata"]["annotations"] = {}
    report = describe_tls_secret(secret, None, NOW)
    assert field(report, "Certificate").startswith("none")
    assert field(report, "Issuer") == "<none>"


@pytest.mark.parametrize(
    "crt", [None, b"", b"not pem", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"]
)
def test_a_secret_without_a_certificate_is_refused(crt: bytes | None) -> None:
    secret: dict[str, Any] = {"metadata": {"name": "x"}, "data": {}}
    if crt is not None:
        secret["data"]["tls.crt"] = b64(crt)
    with pytest.raises(NotATlsSecret):
        describe_tls_secret(secret, None, NOW)
