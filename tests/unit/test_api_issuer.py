import base64
import datetime
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from evercert.api.issuer import (
    ExternalAccountBinding,
    Http01GatewaySolver,
    Http01IngressSolver,
    IssuerSpec,
    ParentRef,
    parse_issuer,
)
from evercert.core.errors import InvalidSpec

LETSENCRYPT = "https://acme-v02.api.letsencrypt.org/directory"


def issuer(kind: str = "Issuer", **acme: Any) -> dict[str, Any]:
    """An Issuer body with a valid minimal spec.acme, overridden by `acme` (None removes a field)."""
    full = {
        "server": LETSENCRYPT,
        "privateKeySecretRef": {"name": "letsencrypt-account"},
        "solvers": [{"http01": {"ingress": {"ingressClassName": "nginx"}}}],
    }
    full.update(acme)
    metadata = {"name": "letsencrypt", "uid": "uid-7", "generation": 2}
    if kind == "Issuer":
        metadata["namespace"] = "shop"
    return {
        "apiVersion": "evercert.dev/v1",
        "kind": kind,
        "metadata": metadata,
        "spec": {"acme": {key: value for key, value in full.items() if value is not None}},
    }


def parse(**acme: Any) -> IssuerSpec:
    return parse_issuer(issuer(**acme), "Issuer")


def invalid(**acme: Any) -> str:
    """The message parse_issuer gives for the spec."""
    with pytest.raises(InvalidSpec) as error:
        parse(**acme)
    return error.value.message


def solver(**ingress: Any) -> list[dict[str, Any]]:
    return [{"http01": {"ingress": ingress}}]


def ca_certificate_pem() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


class TestAMinimalIssuer:
    def test_reads_identity_server_and_account_key(self) -> None:
        spec = parse()
        assert (spec.kind, spec.namespace, spec.name, spec.uid, spec.generation) == (
            "Issuer",
            "shop",
            "letsencrypt",
            "uid-7",
            2,
        )
        assert spec.server == LETSENCRYPT
        assert spec.private_key_secret_name == "letsencrypt-account"

    def test_leaves_optional_fields_unset(self) -> None:
        spec = parse()
        assert spec.email is None
        assert spec.external_account_binding is None
        assert (spec.profile, spec.preferred_chain, spec.ca_bundle, spec.skip_tls_verify) == (
            None,
            None,
            None,
            False,
        )

    def test_defaults_the_solver_to_a_cluster_ip_service_and_exact_path(self) -> None:
        assert parse().solvers == (Http01IngressSolver(ingress_class_name="nginx"),)
        assert parse().solvers[0].service_type == "ClusterIP"
        assert parse().solvers[0].path_type == "Exact"


class TestClusterIssuer:
    def test_has_no_namespace(self) -> None:
        spec = parse_issuer(issuer("ClusterIssuer"), "ClusterIssuer")
        assert (spec.kind, spec.namespace) == ("ClusterIssuer", None)

    def test_kind_must_be_issuer_or_cluster_issuer(self) -> None:
        with pytest.raises(ValueError, match="kind must be one of"):
            parse_issuer(issuer(), "Certificate")


class TestAFullIssuer:
    def test_reads_every_field(self) -> None:
        pem = ca_certificate_pem()
        spec = parse(
            server="https://acme.example.com/directory",
            email="admin@example.com",
            externalAccountBinding={
                "keyID": "kid-1",
                "keySecretRef": {"name": "eab", "key": "hmac"},
                "keyAlgorithm": "HS512",
            },
            profile="shortlived",
            preferredChain="ISRG Root X2",
            caBundle=base64.b64encode(pem).decode(),
        )
        assert spec.server == "https://acme.example.com/directory"
        assert spec.email == "admin@example.com"
        assert spec.external_account_binding == ExternalAccountBinding(
            key_id="kid-1", secret_name="eab", secret_key="hmac", key_algorithm="HS512"
        )
        assert (spec.profile, spec.preferred_chain) == ("shortlived", "ISRG Root X2")
        assert spec.ca_bundle == pem

    def test_reads_every_solver_field(self) -> None:
        ingress = {
            "class": "traefik",
            "serviceType": "NodePort",
            "pathType": "ImplementationSpecific",
            "podTemplate": {
                "metadata": {"labels": {"team": "edge"}, "annotations": {"example.com/note": "solver"}},
                "spec": {
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "tolerations": [{"key": "edge", "operator": "Exists", "effect": "NoSchedule"}],
                },
            },
        }
        assert parse(solvers=solver(**ingress)).solvers == (
            Http01IngressSolver(
                ingress_class="traefik",
                service_type="NodePort",
                path_type="ImplementationSpecific",
                pod_labels={"team": "edge"},
                pod_annotations={"example.com/note": "solver"},
                node_selector={"kubernetes.io/os": "linux"},
                tolerations=({"key": "edge", "operator": "Exists", "effect": "NoSchedule"},),
            ),
        )

    def test_reads_an_existing_ingress_to_edit_in_place(self) -> None:
        assert parse(solvers=solver(name="shop")).solvers[0].ingress_name == "shop"

    def test_accepts_an_empty_ingress_solver(self) -> None:
        assert parse(solvers=solver()).solvers == (Http01IngressSolver(),)

    def test_defaults_the_eab_key_and_algorithm(self) -> None:
        eab = {"keyID": "kid-1", "keySecretRef": {"name": "eab"}}
        assert parse(externalAccountBinding=eab).external_account_binding == ExternalAccountBinding(
            key_id="kid-1", secret_name="eab", secret_key="secret", key_algorithm="HS256"
        )


class TestServer:
    def test_is_required(self) -> None:
        assert invalid(server=None) == "spec.acme.server must be set"

    @pytest.mark.parametrize(
        "server",
        [
            "http://acme.example.com/directory",
            "acme.example.com/directory",
            "ftp://acme.example.com",
            "https://",
        ],
    )
    def test_must_be_an_https_url(self, server: str) -> None:
        message = invalid(server=server)
        assert message == (
            f"spec.acme.server: {server!r} must be the https:// URL of the ACME directory "
            "(http:// is allowed only for localhost)"
        )

    @pytest.mark.parametrize("server", ["http://127.0.0.1:14000/dir", "http://localhost:4001/directory"])
    def test_may_be_plain_http_on_localhost(self, server: str) -> None:
        assert parse(server=server).server == server


class TestEmail:
    @pytest.mark.parametrize("email", ["admin", "admin@localhost", "ad min@example.com", "a@b@example.com"])
    def test_must_look_like_an_address(self, email: str) -> None:
        assert (
            invalid(email=email)
            == f"spec.acme.email: {email!r} is not an email address like name@example.com"
        )

    def test_empty_means_unset(self) -> None:
        assert parse(email="").email is None


class TestAccountKeySecret:
    def test_is_required(self) -> None:
        assert invalid(privateKeySecretRef=None) == "spec.acme.privateKeySecretRef.name must be set"

    def test_must_be_a_valid_object_name(self) -> None:
        message = invalid(privateKeySecretRef={"name": "Account_Key"})
        assert message.startswith(
            "spec.acme.privateKeySecretRef.name: 'Account_Key' is not a valid Kubernetes"
        )


class TestExternalAccountBinding:
    def test_requires_key_id(self) -> None:
        message = invalid(externalAccountBinding={"keySecretRef": {"name": "eab"}})
        assert message == "spec.acme.externalAccountBinding.keyID must be set"

    def test_requires_the_secret_name(self) -> None:
        message = invalid(externalAccountBinding={"keyID": "kid-1"})
        assert message == "spec.acme.externalAccountBinding.keySecretRef.name must be set"

    def test_rejects_an_unknown_mac_algorithm(self) -> None:
        eab = {"keyID": "kid-1", "keySecretRef": {"name": "eab"}, "keyAlgorithm": "RS256"}
        assert "keyAlgorithm must be one of HS256, HS384, HS512" in invalid(externalAccountBinding=eab)


class TestCaBundle:
    def test_rejects_text_that_is_not_base64(self) -> None:
        assert (
            invalid(caBundle="not base64!")
            == "spec.acme.caBundle must be base64 of PEM-encoded CA certificates"
        )

    def test_rejects_base64_without_a_pem_certificate(self) -> None:
        message = invalid(caBundle=base64.b64encode(b"hello").decode())
        assert message.startswith("spec.acme.caBundle must hold PEM-encoded CA certificates")

    def test_rejects_it_together_with_skip_tls_verify(self) -> None:
        bundle = base64.b64encode(ca_certificate_pem()).decode()
        message = invalid(caBundle=bundle, skipTLSVerify=True)
        assert message == "set only one of spec.acme.caBundle and spec.acme.skipTLSVerify"

    def test_skip_tls_verify_alone_is_fine(self) -> None:
        assert parse(skipTLSVerify=True).skip_tls_verify is True


class TestSolvers:
    def test_rejects_a_dns01_provider_that_is_not_built_in_naming_the_ones_that_are(self) -> None:
        message = invalid(solvers=[{"dns01": {"cloudflare": {}}}])
        assert message.startswith("spec.acme.solvers[0].dns01: the provider cloudflare is not built in")
        assert "rfc2136" in message and "webhook" in message

    def test_reads_a_gateway_httproute_solver(self) -> None:
        route = {
            "parentRefs": [
                {"name": "edge", "namespace": "infra", "sectionName": "http", "port": 80},
                {"name": "other", "kind": "ListenerSet", "group": "gateway.networking.x-k8s.io"},
            ],
            "labels": {"team": "edge"},
            "serviceType": "NodePort",
            "podTemplate": {"metadata": {"labels": {"app": "solver"}}, "spec": {"nodeSelector": {"a": "b"}}},
        }
        (parsed,) = parse(solvers=[{"http01": {"gatewayHTTPRoute": route}}]).solvers
        assert parsed == Http01GatewaySolver(
            parent_refs=(
                ParentRef("edge", namespace="infra", section_name="http", port=80),
                ParentRef("other", kind="ListenerSet", group="gateway.networking.x-k8s.io"),
            ),
            labels={"team": "edge"},
            service_type="NodePort",
            pod_labels={"app": "solver"},
            node_selector={"a": "b"},
        )

    def test_gateway_solver_needs_a_parent(self) -> None:
        message = invalid(solvers=[{"http01": {"gatewayHTTPRoute": {"labels": {"a": "b"}}}}])
        assert message.startswith(
            "spec.acme.solvers[0].http01.gatewayHTTPRoute.parentRefs: name at least one Gateway"
        )

    def test_gateway_solver_checks_its_fields(self) -> None:
        def route_message(**route: Any) -> str:
            full = {"parentRefs": [{"name": "gw"}], **route}
            return invalid(solvers=[{"http01": {"gatewayHTTPRoute": full}}])

        assert route_message(parentRefs=[{"name": "Not A Name"}]).startswith(
            "spec.acme.solvers[0].http01.gatewayHTTPRoute.parentRefs[0].name"
        )
        assert "port number" in route_message(parentRefs=[{"name": "gw", "port": 70000}])
        assert route_message(labels={"a b": "c"}).startswith(
            "spec.acme.solvers[0].http01.gatewayHTTPRoute.labels"
        )
        assert "must be one of ClusterIP, NodePort" in route_message(serviceType="LoadBalancer")

    def test_one_solver_sets_only_one_of_ingress_and_gateway_route(self) -> None:
        both = {"ingress": {}, "gatewayHTTPRoute": {"parentRefs": [{"name": "gw"}]}}
        assert invalid(solvers=[{"http01": both}]) == (
            "spec.acme.solvers[0].http01: set only one of ingress and gatewayHTTPRoute"
        )

    def test_require_at_least_one(self) -> None:
        assert "add a solver: http01.ingress, http01.gatewayHTTPRoute or dns01" in invalid(solvers=[])
        assert "add a solver" in invalid(solvers=None)

    def test_a_provider_that_is_not_built_in_is_refused_even_next_to_an_ingress_solver(self) -> None:
        solvers = [{"dns01": {"cloudflare": {}}}, *solver(ingressClassName="nginx")]
        assert "the provider cloudflare is not built in" in invalid(solvers=solvers)

    def test_keep_the_order_of_several_ingress_solvers(self) -> None:
        solvers = [*solver(ingressClassName="nginx"), *solver(name="shop")]
        assert [s.ingress_class_name or s.ingress_name for s in parse(solvers=solvers).solvers] == [
            "nginx",
            "shop",
        ]

    def test_take_at_most_one_of_ingress_class_name_class_and_name(self) -> None:
        message = invalid(solvers=solver(ingressClassName="nginx", name="shop"))
        assert message == (
            "spec.acme.solvers[0].http01.ingress: set at most one of ingressClassName, class, name "
            "(found ingressClassName, name)"
        )

    def test_reject_an_unknown_service_type(self) -> None:
        message = invalid(solvers=solver(serviceType="LoadBalancer"))
        assert message == (
            "spec.acme.solvers[0].http01.ingress.serviceType "
            "must be one of ClusterIP, NodePort, not 'LoadBalancer'"
        )

    def test_reject_an_unknown_path_type(self) -> None:
        assert "pathType must be one of Exact, ImplementationSpecific" in invalid(
            solvers=solver(pathType="Prefix")
        )

    def test_reject_a_pod_label_kubernetes_would_refuse(self) -> None:
        message = invalid(solvers=solver(podTemplate={"metadata": {"labels": {"team": "a b"}}}))
        assert message.startswith("spec.acme.solvers[0].http01.ingress.podTemplate.metadata.labels['team']")

    def test_reject_tolerations_that_are_not_objects(self) -> None:
        message = invalid(solvers=solver(podTemplate={"spec": {"tolerations": ["edge"]}}))
        assert (
            message == "spec.acme.solvers[0].http01.ingress.podTemplate.spec.tolerations[0] must be an object"
        )


def test_rejects_an_issuer_without_acme() -> None:
    body = issuer()
    body["spec"] = {"selfSigned": {}}
    with pytest.raises(InvalidSpec) as error:
        parse_issuer(body, "Issuer")
    assert error.value.message == "spec.acme must be set: evercert issues certificates only from ACME CAs"


def test_order_rate_limit_is_read_and_checked() -> None:
    from evercert.api.issuer import OrderRateLimit

    parsed = parse_issuer(issuer(orderRateLimit={"orders": 300, "per": "3h"}), "Issuer")
    assert parsed.order_rate_limit == OrderRateLimit(300, datetime.timedelta(hours=3))
    assert parse_issuer(issuer(), "Issuer").order_rate_limit is None
    for wrong, field in [
        ({"orders": 0, "per": "3h"}, "spec.acme.orderRateLimit.orders"),
        ({"per": "3h"}, "spec.acme.orderRateLimit.orders"),
        ({"orders": 5, "per": "soon"}, "spec.acme.orderRateLimit.per"),
        ({"orders": 5, "per": "10ms"}, "spec.acme.orderRateLimit.per"),
        ({"orders": 5}, "spec.acme.orderRateLimit.per"),
    ]:
        with pytest.raises(InvalidSpec) as error:
            parse_issuer(issuer(orderRateLimit=wrong), "Issuer")
        assert field in error.value.message
