"""Keys, CSRs and certificate parsing in evercert.pki."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from evercert.pki import (
    CertificateInfo,
    build_csr,
    certificate_info,
    chain_verifies,
    covers_names,
    generate_private_key,
    key_matches_certificate,
    load_private_key_pem,
    parse_pem_chain,
    private_key_to_pem,
    public_key_type,
    signed_by,
    split_chain,
)

NOT_BEFORE = datetime(2026, 1, 1, tzinfo=UTC)
NOT_AFTER = NOT_BEFORE + timedelta(days=90)
MID_LIFE = NOT_BEFORE + timedelta(days=30)
NAMES = ["www.example.com", "example.com"]


def pem(*certs: x509.Certificate) -> bytes:
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certs)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def root(make_ca):
    return make_ca("evercert test root")


@pytest.fixture
def intermediate(make_ca, root):
    return make_ca("evercert test intermediate", parent=root)


@pytest.fixture
def leaf(issue_leaf, intermediate, ec_key) -> x509.Certificate:
    return issue_leaf(intermediate, ec_key, NAMES, NOT_BEFORE, NOT_AFTER, common_name="www.example.com")


# Keys


@pytest.mark.parametrize("size", [2048, 3072, 4096])
def test_generates_rsa_keys_of_the_requested_size(size):
    key = generate_private_key("RSA", size)

    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == size


@pytest.mark.parametrize(("size", "curve"), [(256, "secp256r1"), (384, "secp384r1")])
def test_generates_ecdsa_keys_on_the_curve_of_the_requested_size(size, curve):
    key = generate_private_key("ECDSA", size)

    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.curve.name == curve


@pytest.mark.parametrize(
    ("algorithm", "size"), [("RSA", 1024), ("ECDSA", 521), ("Ed25519", 256), ("rsa", 2048)]
)
def test_refuses_unsupported_algorithms_and_sizes(algorithm, size):
    with pytest.raises(ValueError, match="unsupported private key"):
        generate_private_key(algorithm, size)


def test_private_key_round_trips_through_unencrypted_pkcs8_pem(ec_key):
    key_pem = private_key_to_pem(ec_key)

    assert key_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert private_key_to_pem(load_private_key_pem(key_pem)) == key_pem


def test_rsa_keys_are_written_as_pkcs8_too():
    assert private_key_to_pem(generate_private_key("RSA", 2048)).startswith(b"-----BEGIN PRIVATE KEY-----")


def test_loading_a_damaged_key_fails_without_quoting_it(ec_key):
    damaged = private_key_to_pem(ec_key)[:-60] + b"\n-----END PRIVATE KEY-----\n"

    with pytest.raises(ValueError) as raised:
        load_private_key_pem(damaged)

    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    for line in damaged.splitlines()[1:-1]:
        assert line.decode() not in str(raised.value)


def test_loading_an_encrypted_key_fails(ec_key):
    encrypted = ec_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"password"),
    )

    with pytest.raises(ValueError, match="not an unencrypted PEM private key"):
        load_private_key_pem(encrypted)


def test_unchecked_loading_skips_only_the_rsa_consistency_check():
    """Looking at a key (type, size, public half) need not pay RSA's slow check; signing keys do."""
    good = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = good.private_numbers()
    inconsistent = rsa.RSAPrivateNumbers(
        numbers.p, numbers.q, numbers.d + 2, numbers.dmp1, numbers.dmq1, numbers.iqmp, numbers.public_numbers
    ).private_key(unsafe_skip_rsa_key_validation=True)
    key_pem = private_key_to_pem(inconsistent)

    with pytest.raises(ValueError, match="not an unencrypted PEM private key"):
        load_private_key_pem(key_pem)
    looked_at = load_private_key_pem(key_pem, check=False)
    assert looked_at.public_key() == good.public_key() and looked_at.key_size == 2048
    with pytest.raises(ValueError, match="not an unencrypted PEM private key"):
        load_private_key_pem(b"garbage", check=False)


def test_loading_a_key_that_is_neither_rsa_nor_ecdsa_fails():
    ed25519_pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )

    with pytest.raises(ValueError, match="neither RSA nor ECDSA"):
        load_private_key_pem(ed25519_pem)


# CSRs


def test_csr_names_every_dns_name_as_a_san_and_is_signed_with_sha256(ec_key):
    csr = x509.load_pem_x509_csr(build_csr(ec_key, NAMES, "www.example.com"))

    san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.value.get_values_for_type(x509.DNSName) == NAMES
    assert csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "www.example.com"
    assert isinstance(csr.signature_hash_algorithm, hashes.SHA256)
    assert csr.is_signature_valid
    assert csr.public_key() == ec_key.public_key()


def test_csr_without_common_name_has_an_empty_subject_and_a_critical_san(ec_key):
    csr = x509.load_pem_x509_csr(build_csr(ec_key, ["example.com"], None))

    assert len(csr.subject) == 0
    assert csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).critical


def test_csr_needs_at_least_one_dns_name(ec_key):
    with pytest.raises(ValueError, match="at least one DNS name"):
        build_csr(ec_key, [], "example.com")


# Certificates


def test_certificate_info_reports_serial_validity_names_and_issuer(leaf):
    info = certificate_info(leaf)

    assert info.serial_hex == format(leaf.serial_number, "x")
    assert info.serial_hex == info.serial_hex.lower() and ":" not in info.serial_hex
    assert (info.not_before, info.not_after) == (NOT_BEFORE, NOT_AFTER)
    assert info.not_after.tzinfo is not None
    assert info.dns_names == tuple(NAMES)
    assert info.common_name == "www.example.com"
    assert info.issuer_common_name == "evercert test intermediate"


def test_certificate_info_without_common_name(issue_leaf, root, ec_key):
    info = certificate_info(issue_leaf(root, ec_key, ["example.com"], NOT_BEFORE, NOT_AFTER))

    assert info.common_name is None
    assert info.dns_names == ("example.com",)


def test_parse_pem_chain_keeps_the_leaf_first(leaf, intermediate):
    assert parse_pem_chain(pem(leaf, intermediate.cert)) == [leaf, intermediate.cert]


@pytest.mark.parametrize("garbage", [b"", b"not a certificate", b"-----BEGIN CERTIFICATE-----\nAAAA\n"])
def test_parse_pem_chain_refuses_input_without_certificates(garbage):
    with pytest.raises(ValueError, match="no PEM certificates"):
        parse_pem_chain(garbage)


def test_key_matches_the_certificate_issued_for_it(leaf, intermediate, ec_key):
    assert key_matches_certificate(private_key_to_pem(ec_key), pem(leaf, intermediate.cert))


def test_other_key_does_not_match_the_certificate(leaf):
    other = private_key_to_pem(ec.generate_private_key(ec.SECP256R1()))

    assert not key_matches_certificate(other, pem(leaf))


def test_key_matching_is_false_for_unparsable_input(leaf, ec_key):
    assert not key_matches_certificate(b"garbage", pem(leaf))
    assert not key_matches_certificate(private_key_to_pem(ec_key), b"garbage")


def test_covers_names_ignores_order_and_case(leaf):
    assert covers_names(certificate_info(leaf), ["EXAMPLE.com", "www.example.com"])


@pytest.mark.parametrize("requested", [["example.com"], [*NAMES, "api.example.com"], []])
def test_covers_names_is_false_when_names_are_missing_or_extra(leaf, requested):
    assert not covers_names(certificate_info(leaf), requested)


def test_chain_verifies_to_its_root_for_a_name_it_lists(leaf, intermediate, root):
    assert chain_verifies(pem(leaf, intermediate.cert), root.pem, "example.com", at=MID_LIFE)


def test_chain_does_not_verify_without_its_intermediate(leaf, root):
    assert not chain_verifies(pem(leaf), root.pem, "example.com", at=MID_LIFE)


def test_chain_does_not_verify_for_a_name_it_does_not_list(leaf, intermediate, root):
    assert not chain_verifies(pem(leaf, intermediate.cert), root.pem, "other.example", at=MID_LIFE)


def test_chain_does_not_verify_to_a_foreign_root(leaf, intermediate, make_ca):
    assert not chain_verifies(
        pem(leaf, intermediate.cert), make_ca("foreign").pem, "example.com", at=MID_LIFE
    )


def test_chain_does_not_verify_after_expiry(leaf, intermediate, root):
    after_expiry = NOT_AFTER + timedelta(seconds=1)

    assert not chain_verifies(pem(leaf, intermediate.cert), root.pem, "example.com", at=after_expiry)


def test_chain_verification_is_false_for_garbage(root):
    assert not chain_verifies(b"garbage", root.pem, "example.com")
    assert not chain_verifies(root.pem, b"garbage", "example.com")


def test_split_chain_separates_the_leaf_from_the_rest(leaf, intermediate, root):
    leaf_pem, rest_pem = split_chain(pem(leaf, intermediate.cert, root.cert))

    assert leaf_pem == pem(leaf)
    assert rest_pem == pem(intermediate.cert, root.cert)


def test_split_chain_of_a_lone_leaf_has_an_empty_rest(leaf):
    assert split_chain(pem(leaf)) == (pem(leaf), b"")


def test_signed_by_follows_the_chain_upwards_only(leaf, intermediate, root):
    assert signed_by(leaf, intermediate.cert)
    assert signed_by(intermediate.cert, root.cert)
    assert not signed_by(leaf, root.cert)
    assert not signed_by(intermediate.cert, leaf)


def test_signed_by_refuses_an_impostor_with_the_same_name(leaf, make_ca):
    impostor = make_ca("evercert test intermediate")
    assert not signed_by(leaf, impostor.cert)


@pytest.mark.parametrize(
    ("key", "named"),
    [
        (lambda: ec.generate_private_key(ec.SECP256R1()), "ECDSA P-256"),
        (lambda: ec.generate_private_key(ec.SECP384R1()), "ECDSA P-384"),
        (lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048), "RSA 2048"),
        (ed25519.Ed25519PrivateKey.generate, "Ed25519"),
    ],
)
def test_public_key_type_names_algorithm_and_size(issue_leaf, intermediate, key, named):
    cert = issue_leaf(intermediate, key(), NAMES, NOT_BEFORE, NOT_AFTER)
    assert public_key_type(cert) == named


def test_csr_names_ip_addresses_as_ip_sans(ec_key):
    csr = x509.load_pem_x509_csr(build_csr(ec_key, ["example.com"], None, ["192.0.2.1", "2001:db8::1"]))
    san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["example.com"]
    assert [str(a) for a in san.get_values_for_type(x509.IPAddress)] == ["192.0.2.1", "2001:db8::1"]


def test_csr_may_name_ip_addresses_only(ec_key):
    csr = x509.load_pem_x509_csr(build_csr(ec_key, [], None, ["127.0.0.1"]))
    san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.critical and san.value.get_values_for_type(x509.DNSName) == []


def test_covers_names_compares_ip_addresses_as_addresses():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    info = certificate_info_with(("example.com",), ("2001:db8::1",), now)
    assert covers_names(info, ["example.com"], ["2001:DB8:0::1"])
    assert not covers_names(info, ["example.com"])
    assert not covers_names(info, ["example.com"], ["2001:db8::2"])


def certificate_info_with(names, addresses, now):
    return CertificateInfo("1", now, now + timedelta(days=1), names, None, None, addresses)
