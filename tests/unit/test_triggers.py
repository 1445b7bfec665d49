"""When a Certificate needs a new certificate (evercert.triggers) and what its Secret must look like."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from evercert.api.certificate import IssuerRef, parse_certificate
from evercert.certificates.tls_secret import ALLOW_TAKEOVER, build_tls_secret, check_ownership, read_contents
from evercert.certificates.trigger import issuance_reason, issued_by
from evercert.core import constants
from evercert.core.errors import SecretInUse, SecretNotOwned
from evercert.pki import generate_private_key, private_key_to_pem

NOT_BEFORE = datetime(2026, 1, 1, tzinfo=UTC)
NOT_AFTER = NOT_BEFORE + timedelta(days=90)
EARLY = NOT_BEFORE + timedelta(days=1)


def certificate_body(**spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "web", "namespace": "shop", "uid": "u-1", "generation": 1},
        "spec": {
            "secretName": "web-tls",
            "dnsNames": ["www.example.org"],
            "issuerRef": {"name": "le", "kind": "ClusterIssuer"},
            "privateKey": {"algorithm": "ECDSA", "size": 256},
            **spec,
        },
    }


@pytest.fixture
def issued_secret(
    make_ca: Callable[..., Any], issue_leaf: Callable[..., Any]
) -> Callable[..., dict[str, Any]]:
    """A Secret as evercert writes it, for the given names, key and issuer."""
    ca = make_ca()

    def build(
        names: tuple[str, ...] = ("www.example.org",),
        *,
        issuer: str = "le",
        key: Any = None,
        mismatched_key: bool = False,
    ) -> dict[str, Any]:
        key = key or generate_private_key("ECDSA", 256)
        leaf = issue_leaf(ca, key, list(names), NOT_BEFORE, NOT_AFTER)
        spec = parse_certificate(certificate_body(dnsNames=list(names)))
        stored_key = generate_private_key("ECDSA", 256) if mismatched_key else key
        return build_tls_secret(
            spec,
            issuer_name=issuer,
            issuer_kind="ClusterIssuer",
            chain_pem=leaf.public_bytes(serialization.Encoding.PEM) + ca.pem,
            key_pem=private_key_to_pem(stored_key),
            existing=None,
            owner_reference=None,
        )

    return build


def test_a_missing_secret_needs_issuance() -> None:
    assert issuance_reason(parse_certificate(certificate_body()), None, EARLY) == "DoesNotExist"


def test_a_good_secret_needs_nothing_until_two_thirds_of_its_lifetime(issued_secret) -> None:
    spec, contents = parse_certificate(certificate_body()), read_contents(issued_secret())
    assert issuance_reason(spec, contents, EARLY) is None
    assert issuance_reason(spec, contents, NOT_BEFORE + timedelta(days=59)) is None
    assert issuance_reason(spec, contents, NOT_BEFORE + timedelta(days=60, hours=1)) == "Renewing"
    assert issuance_reason(spec, contents, NOT_AFTER + timedelta(seconds=1)) == "Expired"


def test_renew_before_moves_the_renewal_earlier(issued_secret) -> None:
    spec = parse_certificate(certificate_body(renewBefore="1440h"))  # 60 days before expiry
    assert (
        issuance_reason(spec, read_contents(issued_secret()), NOT_BEFORE + timedelta(days=31)) == "Renewing"
    )


def test_a_renewal_time_from_the_ca_overrides_the_default(issued_secret) -> None:
    spec, contents = parse_certificate(certificate_body()), read_contents(issued_secret())
    assert issuance_reason(spec, contents, EARLY, renew_at=EARLY - timedelta(seconds=1)) == "Renewing"


def test_changed_names_need_a_new_certificate(issued_secret) -> None:
    spec = parse_certificate(certificate_body(dnsNames=["www.example.org", "shop.example.org"]))
    assert issuance_reason(spec, read_contents(issued_secret()), EARLY) == "SecretMismatch"


def test_another_issuer_needs_a_new_certificate(issued_secret) -> None:
    spec = parse_certificate(certificate_body())
    assert issuance_reason(spec, read_contents(issued_secret(issuer="other")), EARLY) == "IncorrectIssuer"


def test_a_key_that_does_not_match_the_certificate_needs_a_new_one(issued_secret) -> None:
    spec = parse_certificate(certificate_body())
    assert issuance_reason(spec, read_contents(issued_secret(mismatched_key=True)), EARLY) == "InvalidKeyPair"


def test_a_key_of_another_algorithm_than_asked_needs_a_new_one(issued_secret) -> None:
    spec = parse_certificate(certificate_body(privateKey={"algorithm": "RSA", "size": 2048}))
    assert issuance_reason(spec, read_contents(issued_secret()), EARLY) == "PrivateKeyMismatch"


def test_a_key_of_another_type_stays_when_the_spec_names_none(issued_secret) -> None:
    rsa_key = generate_private_key("RSA", 2048)
    spec = parse_certificate(certificate_body(privateKey={}))
    assert issuance_reason(spec, read_contents(issued_secret(key=rsa_key)), EARLY) is None


def test_a_secret_without_a_readable_certificate_needs_one(issued_secret) -> None:
    secret = issued_secret()
    secret["data"]["tls.crt"] = base64.b64encode(b"garbage").decode()
    assert (
        issuance_reason(parse_certificate(certificate_body()), read_contents(secret), EARLY) == "MissingData"
    )


def test_the_secret_carries_names_issuer_serial_and_template(issued_secret) -> None:
    secret = issued_secret()
    annotations = secret["metadata"]["annotations"]
    assert secret["type"] == "kubernetes.io/tls"
    assert annotations[constants.ANNOTATION_CERTIFICATE_NAME] == "web"
    assert annotations[constants.ANNOTATION_ISSUER_NAME] == "le"
    assert annotations[constants.ANNOTATION_DNS_NAMES] == "www.example.org"
    assert annotations[constants.ANNOTATION_SERIAL]
    assert secret["metadata"]["labels"][constants.LABEL_MANAGED_BY] == constants.MANAGED_BY


def test_ca_crt_is_the_self_signed_root_when_the_chain_carries_it(issued_secret) -> None:
    secret = issued_secret()
    chain = base64.b64decode(secret["data"]["tls.crt"])
    assert chain.endswith(base64.b64decode(secret["data"]["ca.crt"]))


def test_a_foreign_secret_is_not_taken_over_without_opt_in() -> None:
    spec = parse_certificate(certificate_body())
    foreign = {"type": "kubernetes.io/tls", "metadata": {"name": "web-tls", "annotations": {}}}
    with pytest.raises(SecretNotOwned, match=ALLOW_TAKEOVER):
        check_ownership(foreign, spec)
    foreign["metadata"]["annotations"][ALLOW_TAKEOVER] = "true"
    check_ownership(foreign, spec)


def test_a_secret_whose_type_cannot_become_tls_is_not_taken_over() -> None:
    spec = parse_certificate(certificate_body())
    opaque = {"type": "Opaque", "metadata": {"name": "web-tls", "annotations": {ALLOW_TAKEOVER: "true"}}}
    with pytest.raises(SecretNotOwned, match="type Opaque"):
        check_ownership(opaque, spec)


def test_a_secret_written_for_another_certificate_is_a_conflict() -> None:
    spec = parse_certificate(certificate_body())
    other = {"metadata": {"annotations": {constants.ANNOTATION_CERTIFICATE_NAME: "api"}}}
    with pytest.raises(SecretInUse, match="'api'"):
        check_ownership(other, spec)


def test_a_renew_request_reissues_a_good_certificate(issued_secret) -> None:
    spec, contents = parse_certificate(certificate_body()), read_contents(issued_secret())
    assert issuance_reason(spec, contents, EARLY, renew_requested=True) == "ManuallyTriggered"


def test_a_certificate_from_a_fallback_issuer_is_kept_until_its_renewal(issued_secret) -> None:
    """The primary is tried again at the next renewal, not at once (no IncorrectIssuer)."""
    fallback = {"name": "zerossl", "kind": "ClusterIssuer"}
    spec = parse_certificate(certificate_body(fallbackIssuerRefs=[fallback]))
    contents = read_contents(issued_secret(issuer="zerossl"))
    assert issued_by(spec, contents) == IssuerRef("zerossl", "ClusterIssuer")
    assert issuance_reason(spec, contents, EARLY) is None
    assert issuance_reason(spec, contents, NOT_BEFORE + timedelta(days=60, hours=1)) == "Renewing"
    assert issuance_reason(spec, read_contents(issued_secret(issuer="other")), EARLY) == "IncorrectIssuer"


def test_an_added_ip_address_needs_a_new_certificate(issued_secret) -> None:
    spec = parse_certificate(certificate_body(ipAddresses=["192.0.2.1"]))
    assert issuance_reason(spec, read_contents(issued_secret()), EARLY) == "SecretMismatch"
