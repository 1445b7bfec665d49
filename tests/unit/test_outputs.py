"""Output formats and keystores (pki.formats, pki.pkcs12, pki.jks, certificates.outputs): what the
spec asks for, what is written, and when a Secret must be written again."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from evercert.api.certificate import parse_certificate
from evercert.api.outputs import PasswordSource
from evercert.certificates.outputs import (
    NO_PASSWORDS,
    Passwords,
    build_outputs,
    outputs_current,
    outputs_digest,
    password_from_secret,
)
from evercert.certificates.tls_secret import build_tls_secret, read_contents
from evercert.core import constants
from evercert.core.errors import InvalidSpec, KeystorePasswordUnavailable
from evercert.pki import generate_private_key, private_key_to_pem
from evercert.pki.jks import KeyEntry, TrustedEntry, encode_jks
from tests.support.jks_reader import read_jks

NOT_BEFORE = datetime(2026, 1, 1, tzinfo=UTC)
PASSWORDS = Passwords(pkcs12="p12-secret", jks="jks-secret")
ALL_OUTPUTS = {
    "additionalOutputFormats": [{"type": "CombinedPEM"}, {"type": "DER"}],
    "keystores": {
        "pkcs12": {"create": True, "password": "p12-secret", "profile": "Modern2023"},
        "jks": {"create": True, "passwordSecretRef": {"name": "jks-password", "key": "password"}},
    },
}


def spec_with(**fields: Any):
    body = {
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "secretName": "web-tls",
            "dnsNames": ["www.example.org"],
            "issuerRef": {"name": "le"},
            **fields,
        },
    }
    return parse_certificate(body)


@pytest.fixture
def issued(make_ca, issue_leaf):
    """(key, chain leaf first ending with the self-signed root, key PEM, chain PEM)."""
    root = make_ca()
    intermediate = make_ca("evercert test intermediate", parent=root)
    key = generate_private_key("RSA", 2048)
    leaf = issue_leaf(intermediate, key, ["www.example.org"], NOT_BEFORE, NOT_BEFORE + timedelta(days=90))
    chain = [leaf, intermediate.cert, root.cert]
    chain_pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)
    return key, chain, private_key_to_pem(key), chain_pem


def secret_for(spec, issued, passwords=PASSWORDS, existing=None) -> dict[str, Any]:
    _, _, key_pem, chain_pem = issued
    return build_tls_secret(
        spec,
        issuer_name="le",
        issuer_kind="Issuer",
        chain_pem=chain_pem,
        key_pem=key_pem,
        existing=existing,
        owner_reference=None,
        passwords=passwords,
    )


def data(secret: dict[str, Any], key: str) -> bytes:
    return base64.b64decode(secret["data"][key])


def test_the_spec_reads_every_format_and_keystore_in_cert_managers_names() -> None:
    outputs = spec_with(privateKey={"encoding": "PKCS1"}, **ALL_OUTPUTS).outputs
    assert (outputs.key_encoding, outputs.combined_pem, outputs.der) == ("PKCS1", True, True)
    assert outputs.pkcs12 is not None and outputs.pkcs12.profile == "Modern2023"
    assert outputs.pkcs12.password == PasswordSource(literal="p12-secret")
    assert outputs.jks is not None and outputs.jks.alias == "certificate"
    assert outputs.jks.password == PasswordSource(secret_name="jks-password", secret_key="password")


def test_defaults_are_pkcs8_no_formats_and_the_legacy_pkcs12_profile() -> None:
    outputs = spec_with(keystores={"pkcs12": {"create": True, "password": "x"}}).outputs
    assert outputs.key_encoding == "PKCS8" and not outputs.combined_pem and not outputs.der
    assert outputs.pkcs12 is not None and outputs.pkcs12.profile == "LegacyRC2"
    assert spec_with(keystores={"pkcs12": {"create": False}}).outputs.is_default


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"keystores": {"jks": {"create": True, "password": "x", "alias": "CA"}}}, "keystores.jks.alias"),
        ({"keystores": {"jks": {"create": True}}}, "neither is set"),
        (
            {"keystores": {"pkcs12": {"create": True, "password": "x", "passwordSecretRef": {"name": "a"}}}},
            "both are set",
        ),
        ({"keystores": {"pkcs12": {"create": True, "passwordSecretRef": {"name": "a"}}}}, "key must be set"),
        ({"keystores": {"pkcs12": {"create": True, "password": "x", "profile": "RC4"}}}, "profile"),
        ({"additionalOutputFormats": [{"type": "DER"}, {"type": "DER"}]}, "each type once"),
        ({"additionalOutputFormats": [{"type": "PEM"}]}, "additionalOutputFormats[0].type"),
        ({"privateKey": {"encoding": "PKCS12"}}, "privateKey.encoding"),
    ],
)
def test_bad_output_settings_name_the_field_to_fix(fields: dict[str, Any], says: str) -> None:
    with pytest.raises(InvalidSpec, match=says.replace("[", r"\[").replace("]", r"\]")):
        spec_with(**fields)


def test_combined_pem_is_the_key_then_the_chain_and_key_der_the_same_key(issued) -> None:
    key, _, _, chain_pem = issued
    secret = secret_for(spec_with(**ALL_OUTPUTS), issued)
    combined = data(secret, constants.COMBINED_PEM)
    assert combined.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert combined.endswith(chain_pem)
    assert serialization.load_pem_private_key(combined, None).private_numbers() == key.private_numbers()
    der_key = serialization.load_der_private_key(data(secret, constants.KEY_DER), None)
    assert der_key.private_numbers() == key.private_numbers()


@pytest.mark.parametrize(("algorithm", "size", "header"), [("RSA", 2048, b"RSA"), ("ECDSA", 256, b"EC")])
def test_pkcs1_encoding_writes_the_key_types_own_structure(algorithm: str, size: int, header: bytes) -> None:
    key = generate_private_key(algorithm, size)
    files = build_outputs(
        spec_with(privateKey={"encoding": "PKCS1"}).outputs, NO_PASSWORDS, private_key_to_pem(key), [], False
    )
    assert files[constants.TLS_KEY].startswith(b"-----BEGIN " + header + b" PRIVATE KEY-----")


@pytest.mark.parametrize("profile", ["LegacyRC2", "LegacyDES", "Modern2023"])
def test_pkcs12_keystores_open_with_the_password_in_every_profile(issued, profile: str) -> None:
    key, chain, _, _ = issued
    fields = {"keystores": {"pkcs12": {"create": True, "password": "p12-secret", "profile": profile}}}
    secret = secret_for(spec_with(**fields), issued)
    store = pkcs12.load_pkcs12(data(secret, constants.KEYSTORE_P12), b"p12-secret")
    assert store.key is not None and store.key.private_numbers() == key.private_numbers()
    assert store.cert is not None and store.cert.certificate == chain[0]
    assert [c.certificate for c in store.additional_certs] == chain[1:]
    trust = pkcs12.load_pkcs12(data(secret, constants.TRUSTSTORE_P12), b"p12-secret")
    assert trust.key is None and [c.certificate for c in trust.additional_certs] == [chain[-1]]
    with pytest.raises(ValueError):
        pkcs12.load_pkcs12(data(secret, constants.KEYSTORE_P12), b"wrong")


def test_jks_keystore_holds_the_key_under_its_alias_with_the_chain_and_the_ca(issued) -> None:
    key, chain, _, _ = issued
    fields = {"keystores": {"jks": {"create": True, "password": "jks-secret", "alias": "Kafka"}}}
    secret = secret_for(spec_with(**fields), issued)
    store = read_jks(data(secret, constants.KEYSTORE_JKS), "jks-secret")
    opened = serialization.load_der_private_key(store.keys["kafka"], None)
    assert opened.private_numbers() == key.private_numbers()
    assert store.chains["kafka"] == chain and store.trusted == {"ca": chain[-1]}
    assert store.timestamps["kafka"] == int(NOT_BEFORE.timestamp() * 1000)
    assert read_jks(data(secret, constants.TRUSTSTORE_JKS), "jks-secret").trusted == {"ca": chain[-1]}
    with pytest.raises(ValueError, match="integrity"):
        read_jks(data(secret, constants.KEYSTORE_JKS), "wrong")


def test_jks_refuses_two_entries_with_one_alias(issued) -> None:
    _, chain, _, _ = issued
    with pytest.raises(ValueError, match="aliases must differ"):
        encode_jks([KeyEntry("CA", b"\x30\x00", chain), TrustedEntry("ca", chain[-1])], "pw", 0)


def test_jks_keys_of_any_size_survive_the_key_protector(issued) -> None:
    for size in (0, 1, 19, 20, 21, 200):
        key_der = bytes(range(256))[:size]
        store = read_jks(encode_jks([KeyEntry("k", key_der, issued[1][:1])], "pw", 0), "pw")
        assert store.keys["k"] == key_der


def test_truststores_are_written_only_when_the_ca_certificate_is_known(issued) -> None:
    _, chain, _, _ = issued
    without_root = (
        issued[0],
        chain[:2],
        issued[2],
        b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain[:2]),
    )
    secret = secret_for(spec_with(**ALL_OUTPUTS), without_root)
    assert constants.KEYSTORE_P12 in secret["data"] and constants.KEYSTORE_JKS in secret["data"]
    assert constants.TRUSTSTORE_P12 not in secret["data"] and constants.TRUSTSTORE_JKS not in secret["data"]


def test_the_annotation_changes_with_a_password_and_never_holds_it(issued) -> None:
    spec = spec_with(**ALL_OUTPUTS)
    digest = outputs_digest(spec, PASSWORDS)
    assert digest is not None and "secret" not in digest
    assert digest != outputs_digest(spec, Passwords(pkcs12="p12-secret", jks="rotated"))
    assert outputs_digest(spec_with(), NO_PASSWORDS) is None
    secret = secret_for(spec, issued)
    assert secret["metadata"]["annotations"][constants.ANNOTATION_OUTPUTS] == digest


def test_a_secret_is_current_until_a_format_a_password_or_a_removal_changes(issued) -> None:
    spec = spec_with(**ALL_OUTPUTS)
    contents = read_contents(secret_for(spec, issued))
    digest = contents.annotations.get(constants.ANNOTATION_OUTPUTS)
    assert outputs_current(spec, PASSWORDS, digest, contents.files)
    assert not outputs_current(spec, Passwords("p12-secret", "rotated"), digest, contents.files)
    assert not outputs_current(spec_with(), NO_PASSWORDS, digest, contents.files)
    missing = tuple(f for f in contents.files if f != constants.KEY_DER)
    assert not outputs_current(spec, PASSWORDS, digest, missing)
    plain = read_contents(secret_for(spec_with(), issued, NO_PASSWORDS))
    assert outputs_current(spec_with(), NO_PASSWORDS, None, plain.files)


def test_removing_the_outputs_leaves_only_the_tls_files(issued) -> None:
    with_outputs = secret_for(spec_with(**ALL_OUTPUTS), issued)
    without = secret_for(spec_with(), issued, NO_PASSWORDS, existing=with_outputs)
    assert set(without["data"]) == {constants.TLS_CERT, constants.TLS_KEY, constants.CA_CERT}
    assert constants.ANNOTATION_OUTPUTS not in without["metadata"]["annotations"]


@pytest.mark.parametrize(
    ("secret", "says"),
    [
        (None, "does not exist"),
        ({"data": {}}, "no non-empty"),
        ({"data": {"password": ""}}, "no non-empty"),
        ({"data": {"password": "!!not-base64"}}, "no non-empty"),
    ],
)
def test_a_missing_or_empty_password_secret_says_what_to_fix(secret, says: str) -> None:
    source = PasswordSource(secret_name="jks-password", secret_key="password")
    with pytest.raises(KeystorePasswordUnavailable, match=says):
        password_from_secret(secret, source)


def test_the_password_is_read_from_its_secret_key() -> None:
    source = PasswordSource(secret_name="jks-password", secret_key="password")
    secret = {"data": {"password": base64.b64encode(b"s3cret").decode()}}
    assert password_from_secret(secret, source) == "s3cret"
    assert "s3cret" not in repr(Passwords(jks="s3cret"))
