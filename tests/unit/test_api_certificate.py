import datetime
from typing import Any

import pytest

from evercert.api.certificate import CertificateSpec, IssuerRef, SecretTemplate, parse_certificate
from evercert.api.issuer import IssuerKey
from evercert.api.private_key import PrivateKeySpec
from evercert.core.errors import InvalidSpec


def certificate(**spec: Any) -> dict[str, Any]:
    """A Certificate body with a valid minimal spec, overridden by `spec` (None removes a field)."""
    full = {"secretName": "web-tls", "dnsNames": ["www.example.com"], "issuerRef": {"name": "letsencrypt"}}
    full.update(spec)
    return {
        "apiVersion": "evercert.dev/v1",
        "kind": "Certificate",
        "metadata": {"name": "web", "namespace": "shop", "uid": "uid-1", "generation": 3},
        "spec": {key: value for key, value in full.items() if value is not None},
    }


def parse(**spec: Any) -> CertificateSpec:
    return parse_certificate(certificate(**spec))


def invalid(**spec: Any) -> str:
    """The message parse_certificate gives for the spec."""
    with pytest.raises(InvalidSpec) as error:
        parse(**spec)
    return error.value.message


class TestAMinimalSpec:
    def test_reads_identity_from_metadata(self) -> None:
        cert = parse()
        assert (cert.name, cert.namespace, cert.uid, cert.generation) == ("web", "shop", "uid-1", 3)

    def test_reads_secret_and_names(self) -> None:
        cert = parse()
        assert cert.secret_name == "web-tls"
        assert cert.dns_names == ("www.example.com",)
        assert cert.common_name is None

    def test_defaults_to_a_namespaced_issuer_of_evercert(self) -> None:
        assert parse().issuer_ref == IssuerRef(name="letsencrypt", kind="Issuer", group="evercert.dev")

    def test_defaults_to_a_fresh_ecdsa_p256_key_each_time(self) -> None:
        assert parse().private_key == PrivateKeySpec(
            algorithm="ECDSA", size=256, rotation_policy="Always", defaulted=True
        )

    def test_leaves_lifetime_and_renewal_to_the_ca_and_the_default_policy(self) -> None:
        cert = parse()
        assert (cert.duration, cert.renew_before, cert.renew_before_percentage) == (None, None, None)

    def test_has_an_empty_secret_template(self) -> None:
        assert parse().secret_template == SecretTemplate(labels={}, annotations={})


class TestAFullSpec:
    def test_reads_every_field(self) -> None:
        cert = parse(
            commonName="shop.example.com",
            dnsNames=["shop.example.com", "www.example.com"],
            issuerRef={"name": "le-prod", "kind": "ClusterIssuer", "group": "evercert.dev"},
            duration="2160h",
            renewBefore="720h",
            privateKey={"algorithm": "ECDSA", "size": 384, "rotationPolicy": "Never"},
            secretTemplate={"labels": {"team": "shop"}, "annotations": {"example.com/owner": "Shop team"}},
        )
        assert cert.common_name == "shop.example.com"
        assert cert.dns_names == ("shop.example.com", "www.example.com")
        assert cert.issuer_ref == IssuerRef(name="le-prod", kind="ClusterIssuer")
        assert cert.duration == datetime.timedelta(days=90)
        assert cert.renew_before == datetime.timedelta(days=30)
        assert cert.private_key == PrivateKeySpec(algorithm="ECDSA", size=384, rotation_policy="Never")
        assert cert.secret_template.labels == {"team": "shop"}
        assert cert.secret_template.annotations == {"example.com/owner": "Shop team"}

    def test_reads_renew_before_percentage(self) -> None:
        assert parse(renewBeforePercentage=25).renew_before_percentage == 25


class TestIssuerRef:
    def test_accepts_cert_manager_group_as_evercert(self) -> None:
        assert parse(issuerRef={"name": "le", "group": "cert-manager.io"}).issuer_ref.group == "evercert.dev"

    def test_rejects_another_group(self) -> None:
        assert "spec.issuerRef.group: 'awspca.cert-manager.io' is not served by evercert" in invalid(
            issuerRef={"name": "le", "group": "awspca.cert-manager.io"}
        )

    def test_rejects_an_unknown_kind(self) -> None:
        message = invalid(issuerRef={"name": "le", "kind": "Vault"})
        assert message == "spec.issuerRef.kind must be one of Issuer, ClusterIssuer, not 'Vault'"

    def test_requires_a_name(self) -> None:
        assert invalid(issuerRef={"kind": "Issuer"}) == "spec.issuerRef.name must be set"

    def test_requires_issuer_ref(self) -> None:
        assert invalid(issuerRef=None) == "spec.issuerRef.name must be set"

    def test_issuer_key_of_an_issuer_is_in_the_certificates_namespace(self) -> None:
        assert parse().issuer_key() == IssuerKey("Issuer", "shop", "letsencrypt")

    def test_issuer_key_of_a_cluster_issuer_has_no_namespace(self) -> None:
        cert = parse(issuerRef={"name": "le", "kind": "ClusterIssuer"})
        assert cert.issuer_key() == IssuerKey("ClusterIssuer", None, "le")


class TestDnsNames:
    def test_lowercases_names_and_strips_one_trailing_dot(self) -> None:
        assert parse(dnsNames=["WWW.Example.COM."]).dns_names == ("www.example.com",)

    def test_removes_duplicates_keeping_the_first_occurrence_order(self) -> None:
        names = ["b.example.com", "a.example.com", "B.example.com", "a.example.com."]
        assert parse(dnsNames=names).dns_names == ("b.example.com", "a.example.com")

    def test_accepts_a_wildcard_first_label_for_dns01(self) -> None:
        names = ["Example.com", "*.Example.com."]
        assert parse(dnsNames=names).dns_names == ("example.com", "*.example.com")

    @pytest.mark.parametrize("name", ["a.*.example.com", "*x.example.com", "*.*.example.com"])
    def test_rejects_a_wildcard_anywhere_but_the_whole_first_label(self, name: str) -> None:
        message = invalid(dnsNames=[name])
        assert message.startswith(f"spec.dnsNames[0]: {name!r} has a wildcard, which may only be the whole")

    @pytest.mark.parametrize("name", ["192.0.2.1", "2001:db8::1", "[2001:db8::1]"])
    def test_rejects_ip_addresses(self, name: str) -> None:
        assert "is an IP address: list it in spec.ipAddresses instead" in invalid(dnsNames=[name])

    @pytest.mark.parametrize(
        "name",
        ["my_host.example.com", "-a.example.com", "a-.example.com", "a..example.com", "a b.com", "", "."],
    )
    def test_rejects_names_that_are_not_rfc1123(self, name: str) -> None:
        assert "is not a valid DNS name" in invalid(dnsNames=[name])

    def test_rejects_a_label_longer_than_63_characters(self) -> None:
        assert "is not a valid DNS name" in invalid(dnsNames=["a" * 64 + ".example.com"])

    def test_accepts_a_label_of_63_characters(self) -> None:
        name = "a" * 63 + ".example.com"
        assert parse(dnsNames=[name]).dns_names == (name,)

    def test_rejects_a_name_longer_than_253_characters(self) -> None:
        name = ".".join(["a" * 63] * 4)
        assert len(name) == 255
        assert "253 characters in all" in invalid(dnsNames=[name])

    def test_asks_for_punycode_for_internationalized_names(self) -> None:
        assert "punycode (xn--)" in invalid(dnsNames=["bücher.example"])

    def test_accepts_punycode_names(self) -> None:
        assert parse(dnsNames=["xn--bcher-kva.example"]).dns_names == ("xn--bcher-kva.example",)

    def test_requires_at_least_one_name(self) -> None:
        assert invalid(dnsNames=[]) == (
            "spec.dnsNames must list at least one DNS name (or set spec.commonName or spec.ipAddresses)"
        )

    def test_requires_dns_names_when_missing_entirely(self) -> None:
        assert "must list at least one DNS name" in invalid(dnsNames=None)

    def test_accepts_100_names(self) -> None:
        names = [f"host{i}.example.com" for i in range(100)]
        assert len(parse(dnsNames=names).dns_names) == 100

    def test_rejects_more_than_100_names_citing_lets_encrypts_limit(self) -> None:
        message = invalid(dnsNames=[f"host{i}.example.com" for i in range(101)])
        assert "have 101 names" in message
        assert "Let's Encrypt accept at most 100" in message

    def test_counts_names_after_removing_duplicates(self) -> None:
        names = [f"host{i}.example.com" for i in range(100)] + ["host0.example.com"]
        assert len(parse(dnsNames=names).dns_names) == 100

    def test_rejects_a_list_of_non_strings(self) -> None:
        assert invalid(dnsNames=[1, 2]) == "spec.dnsNames must be a list of strings"

    def test_rejects_a_single_string(self) -> None:
        assert invalid(dnsNames="www.example.com") == "spec.dnsNames must be a list"


class TestCommonName:
    def test_is_added_first_to_the_names_when_missing(self) -> None:
        cert = parse(commonName="shop.example.com", dnsNames=["www.example.com"])
        assert cert.dns_names == ("shop.example.com", "www.example.com")

    def test_keeps_the_order_of_names_when_already_listed(self) -> None:
        cert = parse(commonName="shop.example.com", dnsNames=["www.example.com", "shop.example.com"])
        assert cert.dns_names == ("www.example.com", "shop.example.com")

    def test_is_enough_without_dns_names(self) -> None:
        cert = parse(commonName="shop.example.com", dnsNames=None)
        assert cert.dns_names == ("shop.example.com",)

    def test_is_normalized_like_the_names(self) -> None:
        cert = parse(commonName="Shop.Example.com.", dnsNames=["shop.example.com"])
        assert cert.common_name == "shop.example.com"
        assert cert.dns_names == ("shop.example.com",)

    def test_rejects_more_than_64_characters(self) -> None:
        name = "a" * 56 + ".example"
        assert len(name) == 64
        assert parse(commonName=name).common_name == name
        message = invalid(commonName="a" + name)
        assert message.startswith("spec.commonName is 65 characters long but may have at most 64")

    def test_accepts_a_wildcard(self) -> None:
        assert parse(commonName="*.example.com").common_name == "*.example.com"


class TestPrivateKey:
    @pytest.mark.parametrize("size", [2048, 3072, 4096])
    def test_accepts_rsa_sizes(self, size: int) -> None:
        assert parse(privateKey={"algorithm": "RSA", "size": size}).private_key.size == size

    @pytest.mark.parametrize("size", [256, 384])
    def test_accepts_ecdsa_sizes(self, size: int) -> None:
        assert parse(privateKey={"algorithm": "ECDSA", "size": size}).private_key.size == size

    def test_defaults_ecdsa_to_p256(self) -> None:
        assert parse(privateKey={"algorithm": "ECDSA"}).private_key.size == 256

    @pytest.mark.parametrize(("size", "algorithm"), [(2048, "RSA"), (4096, "RSA"), (384, "ECDSA")])
    def test_a_size_alone_names_its_algorithm(self, size: int, algorithm: str) -> None:
        key = parse(privateKey={"size": size}).private_key
        assert (key.algorithm, key.size, key.defaulted) == (algorithm, size, False)

    def test_an_algorithm_named_is_not_the_default_even_when_equal(self) -> None:
        assert not parse(privateKey={"algorithm": "ECDSA"}).private_key.defaulted

    def test_rejects_another_rsa_size_listing_the_allowed_ones(self) -> None:
        message = invalid(privateKey={"algorithm": "RSA", "size": 1024})
        assert message == "spec.privateKey.size: 1024 is not a size for RSA keys: use one of 2048, 3072, 4096"

    def test_rejects_an_rsa_size_for_ecdsa_listing_the_allowed_ones(self) -> None:
        message = invalid(privateKey={"algorithm": "ECDSA", "size": 2048})
        assert message == "spec.privateKey.size: 2048 is not a size for ECDSA keys: use one of 256, 384"

    def test_rejects_an_unknown_size_alone_by_the_default_algorithm(self) -> None:
        message = invalid(privateKey={"size": 1024})
        assert message == "spec.privateKey.size: 1024 is not a size for ECDSA keys: use one of 256, 384"

    @pytest.mark.parametrize(
        ("found", "accepted"),
        [(("ECDSA", 256), True), (("ECDSA", 384), False), (("RSA", 2048), False), (("DSA", 256), False)],
    )
    def test_a_named_key_type_accepts_only_itself(self, found: tuple[str, int], accepted: bool) -> None:
        assert PrivateKeySpec(algorithm="ECDSA", size=256).accepts(found) is accepted

    @pytest.mark.parametrize(
        ("found", "accepted"),
        [(("RSA", 2048), True), (("RSA", 4096), True), (("ECDSA", 384), True), (("EC P-521", 521), False)],
    )
    def test_the_default_keeps_any_supported_key_so_a_new_default_reissues_nothing(
        self, found: tuple[str, int], accepted: bool
    ) -> None:
        assert parse().private_key.accepts(found) is accepted

    def test_rejects_an_unsupported_algorithm(self) -> None:
        message = invalid(privateKey={"algorithm": "Ed25519"})
        assert message == "spec.privateKey.algorithm must be one of RSA, ECDSA, not 'Ed25519'"

    def test_rejects_an_unknown_rotation_policy(self) -> None:
        assert "spec.privateKey.rotationPolicy must be one of Always, Never" in invalid(
            privateKey={"rotationPolicy": "Sometimes"}
        )

    def test_rejects_a_size_that_is_not_an_integer(self) -> None:
        assert invalid(privateKey={"size": "2048"}) == "spec.privateKey.size must be an integer"


class TestLifetimeAndRenewal:
    def test_rejects_a_duration_under_one_hour(self) -> None:
        assert invalid(duration="59m") == "spec.duration is 59m0s but must be at least 1h0m0s"

    def test_accepts_a_duration_of_one_hour(self) -> None:
        assert parse(duration="1h").duration == datetime.timedelta(hours=1)

    def test_rejects_a_duration_that_does_not_parse(self) -> None:
        assert invalid(duration="90 days").startswith("spec.duration: '90 days' is not a duration")

    def test_rejects_renew_before_not_shorter_than_duration(self) -> None:
        message = invalid(duration="720h", renewBefore="30d")
        assert message.startswith("spec.renewBefore (720h0m0s) must be shorter than spec.duration (720h0m0s)")

    def test_accepts_renew_before_without_duration(self) -> None:
        assert parse(renewBefore="720h").renew_before == datetime.timedelta(days=30)

    def test_rejects_a_zero_renew_before(self) -> None:
        assert invalid(renewBefore="0s") == "spec.renewBefore must be longer than 0s"

    def test_rejects_renew_before_together_with_percentage(self) -> None:
        message = invalid(renewBefore="720h", renewBeforePercentage=30)
        assert message == "set only one of spec.renewBefore and spec.renewBeforePercentage"

    @pytest.mark.parametrize("percentage", [0, 100, -5])
    def test_rejects_a_percentage_outside_1_to_99(self, percentage: int) -> None:
        message = invalid(renewBeforePercentage=percentage)
        assert message.startswith(f"spec.renewBeforePercentage is {percentage} but must be between 1 and 99")

    @pytest.mark.parametrize("percentage", [1, 99])
    def test_accepts_the_ends_of_1_to_99(self, percentage: int) -> None:
        assert parse(renewBeforePercentage=percentage).renew_before_percentage == percentage

    def test_rejects_a_boolean_percentage(self) -> None:
        assert invalid(renewBeforePercentage=True) == "spec.renewBeforePercentage must be an integer"


class TestSecretName:
    def test_is_required(self) -> None:
        assert invalid(secretName=None) == "spec.secretName must be set"

    @pytest.mark.parametrize("name", ["Web-TLS", "web_tls", "-web", "web.", "a" * 254])
    def test_must_be_a_valid_object_name(self, name: str) -> None:
        assert invalid(secretName=name).startswith("spec.secretName: ")
        assert "is not a valid Kubernetes object name" in invalid(secretName=name)

    def test_may_contain_dots(self) -> None:
        assert parse(secretName="www.example.com-tls").secret_name == "www.example.com-tls"


class TestSecretTemplate:
    def test_rejects_a_label_value_kubernetes_would_refuse(self) -> None:
        message = invalid(secretTemplate={"labels": {"team": "the shop"}})
        assert message.startswith("spec.secretTemplate.labels['team']: 'the shop' is not a valid label value")

    def test_rejects_an_annotation_key_kubernetes_would_refuse(self) -> None:
        message = invalid(secretTemplate={"annotations": {"bad key": "x"}})
        assert message.startswith("spec.secretTemplate.annotations: 'bad key' is not a valid key")

    def test_accepts_prefixed_keys_and_free_annotation_values(self) -> None:
        template = {"labels": {"app.kubernetes.io/part-of": "shop"}, "annotations": {"a.io/b": "any text"}}
        assert parse(secretTemplate=template).secret_template == SecretTemplate(
            labels={"app.kubernetes.io/part-of": "shop"}, annotations={"a.io/b": "any text"}
        )

    def test_rejects_non_string_values(self) -> None:
        message = invalid(secretTemplate={"labels": {"replicas": 3}})
        assert message == "spec.secretTemplate.labels must map strings to strings"


def test_rejects_a_spec_that_is_not_an_object() -> None:
    body = certificate()
    body["spec"] = ["secretName"]
    with pytest.raises(InvalidSpec, match=r"^spec must be an object$"):
        parse_certificate(body)


class TestIpAddresses:
    def test_are_parsed_canonical_and_deduplicated_in_order(self) -> None:
        spec = parse(ipAddresses=["192.0.2.1", "2001:DB8:0::1", "192.0.2.1"])
        assert spec.ip_addresses == ("192.0.2.1", "2001:db8::1")
        assert spec.identifiers == ("www.example.com", "192.0.2.1", "2001:db8::1")

    def test_may_stand_alone_without_dns_names(self) -> None:
        spec = parse(dnsNames=None, ipAddresses=["127.0.0.1"])
        assert spec.dns_names == () and spec.identifiers == ("127.0.0.1",)

    def test_rejects_what_is_not_an_address(self) -> None:
        assert invalid(ipAddresses=["192.0.2.300"]) == (
            "spec.ipAddresses[0]: '192.0.2.300' is not an IPv4 or IPv6 address"
        )

    def test_count_towards_the_limit_of_names(self) -> None:
        names = [f"host{i}.example.com" for i in range(99)]
        assert "have 101 names" in invalid(dnsNames=names, ipAddresses=["192.0.2.1", "192.0.2.2"])


class TestFallbackIssuerRefs:
    def test_are_parsed_in_order_after_the_primary(self) -> None:
        spec = parse(fallbackIssuerRefs=[{"name": "zerossl", "kind": "ClusterIssuer"}, {"name": "local"}])
        expected = (IssuerRef("zerossl", "ClusterIssuer"), IssuerRef("local", "Issuer"))
        assert spec.fallback_issuer_refs == expected
        assert spec.issuer_refs[0] == IssuerRef("letsencrypt", "Issuer")
        assert spec.issuer_key(spec.fallback_issuer_refs[0]) == IssuerKey("ClusterIssuer", None, "zerossl")

    def test_none_by_default(self) -> None:
        assert parse().fallback_issuer_refs == ()

    def test_must_not_repeat_the_primary_or_each_other(self) -> None:
        message = "spec.fallbackIssuerRefs must name issuers other than spec.issuerRef, each once"
        assert invalid(fallbackIssuerRefs=[{"name": "letsencrypt"}]) == message
        assert invalid(fallbackIssuerRefs=[{"name": "a"}, {"name": "a"}]) == message

    def test_are_validated_like_issuer_ref(self) -> None:
        message = invalid(fallbackIssuerRefs=[{"name": "a", "kind": "Nope"}])
        assert "spec.fallbackIssuerRefs[0].kind" in message
