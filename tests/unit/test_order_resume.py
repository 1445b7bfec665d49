"""Which stored ACME order an issuance may resume (certificates.ordering.order_matches)."""

from __future__ import annotations

from typing import Any

from evercert.api.certificate import parse_certificate
from evercert.api.issuer import parse_issuer
from evercert.certificates.ordering import order_matches
from evercert.certificates.status import StoredOrder, parse_status
from evercert.pki import generate_private_key, load_private_key_pem, private_key_to_pem, public_key_id

from .test_api_certificate import certificate
from .test_api_issuer import issuer

SPEC = parse_certificate(certificate(dnsNames=["www.example.com", "example.com"]))
ISSUER = parse_issuer(issuer(), "Issuer")
KEY_ID = public_key_id(generate_private_key("ECDSA", 256))


def stored(**changes: Any) -> StoredOrder | None:
    order = {
        "url": "https://ca.example/order/1",
        "dnsNames": ["www.example.com", "example.com"],
        "issuer": "Issuer/letsencrypt",
        "keyId": KEY_ID,
    }
    order.update(changes)
    return parse_status({"order": {k: v for k, v in order.items() if v is not None}}).order


def test_an_order_for_the_same_names_issuer_and_key_is_resumed() -> None:
    assert order_matches(stored(), SPEC, ISSUER, KEY_ID)


def test_an_order_made_with_another_key_is_not_resumed() -> None:
    # e.g. the order of the issuance that just finished, still shown by a body a little behind
    other = public_key_id(generate_private_key("ECDSA", 256))
    assert not order_matches(stored(), SPEC, ISSUER, other)


def test_an_order_stored_without_a_key_id_is_resumed_as_before() -> None:
    assert order_matches(stored(keyId=None), SPEC, ISSUER, KEY_ID)


def test_other_names_or_another_issuer_are_not_resumed() -> None:
    assert not order_matches(stored(dnsNames=["www.example.com"]), SPEC, ISSUER, KEY_ID)
    assert not order_matches(stored(issuer="ClusterIssuer/letsencrypt"), SPEC, ISSUER, KEY_ID)
    assert not order_matches(stored(url=None), SPEC, ISSUER, KEY_ID)
    assert not order_matches(None, SPEC, ISSUER, KEY_ID)


def test_a_key_id_names_the_public_key_only() -> None:
    key = generate_private_key("RSA", 2048)
    reloaded = load_private_key_pem(private_key_to_pem(key))
    assert public_key_id(reloaded) == public_key_id(key)
    assert len(public_key_id(key)) == 64
    assert public_key_id(key) != public_key_id(generate_private_key("RSA", 2048))
