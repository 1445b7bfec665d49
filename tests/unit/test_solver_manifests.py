"""The solver Pod, Service and Ingress manifests, and editing a user's Ingress in place."""

import dataclasses
import re

import pytest

from evercert.api.issuer import Http01IngressSolver
from evercert.core.constants import (
    ACME_CHALLENGE_PATH,
    API_VERSION,
    LABEL_CERTIFICATE,
    LABEL_MANAGED_BY,
    LABEL_SOLVER,
    LABEL_SOLVER_NAME,
    SOLVER_PORT,
)
from evercert.solver.challenge import SolverRequest, owner_reference, solver_labels, solver_name
from evercert.solver.ingress import (
    add_challenge_path,
    build_ingress,
    challenge_path_entry,
    remove_challenge_path,
    remove_paths_to_services,
)
from evercert.solver.pod import build_pod
from evercert.solver.server import parse_args
from evercert.solver.service import build_service

DNS_1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")

REQUEST = SolverRequest(
    certificate_name="web",
    certificate_uid="0b7c6a52-2f4e-4d59-9a57-3c1f1f6d1e11",
    namespace="shop",
    dns_name="www.example.com",
    token="-LdZ3qL_tok3n",
    key_authorization="-LdZ3qL_tok3n.thumbprint",
    image="ghcr.io/evercert/evercert:0.1.0",
)


def request(**changes: object) -> SolverRequest:
    return dataclasses.replace(REQUEST, **changes)


def user_ingress() -> dict:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "shop", "namespace": "shop", "annotations": {"a": "b"}},
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": ["www.example.com"], "secretName": "web-tls"}],
            "rules": [
                {"host": "api.example.com", "http": {"paths": [_backend_path("/", "api")]}},
                {"host": "www.example.com", "http": {"paths": [_backend_path("/", "web")]}},
            ],
        },
    }


def _backend_path(path: str, service: str) -> dict:
    return {
        "path": path,
        "pathType": "Prefix",
        "backend": {"service": {"name": service, "port": {"number": 80}}},
    }


def test_solver_name_is_deterministic_and_a_valid_dns_label() -> None:
    name = solver_name(REQUEST)
    assert name == solver_name(request())
    assert re.fullmatch(r"evercert-solver-[0-9a-f]{10}", name)
    assert DNS_1123_LABEL.fullmatch(name)


@pytest.mark.parametrize(
    "change",
    [{"namespace": "other"}, {"certificate_name": "api"}, {"dns_name": "shop.example.com"}, {"token": "t2"}],
)
def test_solver_name_differs_per_challenge(change: dict) -> None:
    assert solver_name(request(**change)) != solver_name(REQUEST)


def test_refuses_a_token_that_is_not_base64url() -> None:
    with pytest.raises(ValueError, match="base64url"):
        request(token="../../etc")


def test_labels_mark_the_object_as_an_evercert_solver_of_the_certificate() -> None:
    assert solver_labels(REQUEST) == {
        LABEL_MANAGED_BY: "evercert",
        LABEL_SOLVER: "true",
        LABEL_CERTIFICATE: "web",
        LABEL_SOLVER_NAME: solver_name(REQUEST),
    }


def test_long_certificate_name_becomes_a_valid_distinct_label_value() -> None:
    long_names = ["a" * 200 + "-one", "a" * 200 + "-two"]
    values = [solver_labels(request(certificate_name=name))[LABEL_CERTIFICATE] for name in long_names]
    assert all(len(value) <= 63 and LABEL_VALUE.fullmatch(value) for value in values)
    assert values[0] != values[1]


def test_owner_reference_makes_the_certificate_the_controller() -> None:
    assert owner_reference(REQUEST) == {
        "apiVersion": API_VERSION,
        "kind": "Certificate",
        "name": "web",
        "uid": REQUEST.certificate_uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


@pytest.mark.parametrize("build", [build_pod, build_service, build_ingress])
def test_every_object_is_named_labelled_and_owned_alike(build) -> None:
    metadata = build(REQUEST)["metadata"]
    assert metadata["name"] == solver_name(REQUEST)
    assert metadata["namespace"] == "shop"
    assert metadata["labels"].items() >= solver_labels(REQUEST).items()
    assert metadata["ownerReferences"] == [owner_reference(REQUEST)]


def test_pod_runs_evercert_solve_for_the_challenge() -> None:
    (container,) = build_pod(REQUEST)["spec"]["containers"]
    assert container["name"] == "acme-http-solver"
    assert container["image"] == REQUEST.image
    assert container["command"] == ["evercert", "solve"]
    assert container["ports"] == [{"name": "http", "containerPort": SOLVER_PORT, "protocol": "TCP"}]
    assert container["resources"] == {
        "requests": {"cpu": "10m", "memory": "64Mi"},
        "limits": {"cpu": "100m", "memory": "64Mi"},
    }


def test_pod_args_parse_back_even_when_the_token_starts_with_a_dash() -> None:
    (container,) = build_pod(REQUEST)["spec"]["containers"]
    args = parse_args(container["args"])
    assert (args.port, args.host, args.token, args.key_authorization) == (
        SOLVER_PORT,
        "www.example.com",
        "-LdZ3qL_tok3n",
        "-LdZ3qL_tok3n.thumbprint",
    )


def test_pod_meets_the_restricted_pod_security_standard() -> None:
    spec = build_pod(REQUEST)["spec"]
    (container,) = spec["containers"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] != 0
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert spec["automountServiceAccountToken"] is False
    assert spec["enableServiceLinks"] is False
    assert spec["restartPolicy"] == "OnFailure"


def test_pod_takes_the_users_pod_template_but_keeps_its_own_labels() -> None:
    toleration = {"key": "dedicated", "operator": "Equal", "value": "edge", "effect": "NoSchedule"}
    pod = build_pod(
        request(
            solver=Http01IngressSolver(
                pod_labels={"team": "shop", LABEL_SOLVER: "false"},
                pod_annotations={"sidecar.istio.io/inject": "true", "note": "x"},
                node_selector={"pool": "edge"},
                tolerations=(toleration,),
            )
        )
    )
    assert pod["metadata"]["labels"] == {"team": "shop", **solver_labels(REQUEST)}
    assert pod["metadata"]["annotations"] == {"sidecar.istio.io/inject": "true", "note": "x"}
    assert pod["spec"]["nodeSelector"] == {"kubernetes.io/os": "linux", "pool": "edge"}
    assert pod["spec"]["tolerations"] == [toleration]


def test_pod_keeps_service_meshes_out_by_default() -> None:
    assert build_pod(REQUEST)["metadata"]["annotations"] == {"sidecar.istio.io/inject": "false"}


def test_service_selects_its_own_pod_only() -> None:
    selector = build_service(REQUEST)["spec"]["selector"]
    assert build_pod(REQUEST)["metadata"]["labels"].items() >= selector.items()
    other_pod = build_pod(request(token="other"))
    assert not other_pod["metadata"]["labels"].items() >= selector.items()


@pytest.mark.parametrize("service_type", ["ClusterIP", "NodePort"])
def test_service_exposes_the_solver_port(service_type: str) -> None:
    spec = build_service(request(solver=Http01IngressSolver(service_type=service_type)))["spec"]
    assert spec["type"] == service_type
    assert spec["ports"] == [
        {"name": "http", "port": SOLVER_PORT, "targetPort": SOLVER_PORT, "protocol": "TCP"}
    ]


def test_ingress_routes_the_challenge_path_of_the_host_to_the_service() -> None:
    ingress = build_ingress(request(solver=Http01IngressSolver(path_type="ImplementationSpecific")))
    assert ingress["apiVersion"] == "networking.k8s.io/v1"
    assert ingress["spec"]["rules"] == [
        {
            "host": "www.example.com",
            "http": {
                "paths": [
                    {
                        "path": ACME_CHALLENGE_PATH + REQUEST.token,
                        "pathType": "ImplementationSpecific",
                        "backend": {
                            "service": {"name": solver_name(REQUEST), "port": {"number": SOLVER_PORT}}
                        },
                    }
                ]
            },
        }
    ]


def test_ingress_uses_ingress_class_name_when_set() -> None:
    ingress = build_ingress(
        request(solver=Http01IngressSolver(ingress_class_name="nginx", ingress_class="legacy"))
    )
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert "annotations" not in ingress["metadata"]


def test_ingress_falls_back_to_the_legacy_class_annotation() -> None:
    ingress = build_ingress(request(solver=Http01IngressSolver(ingress_class="traefik")))
    assert "ingressClassName" not in ingress["spec"]
    assert ingress["metadata"]["annotations"] == {"kubernetes.io/ingress.class": "traefik"}


def test_ingress_without_class_leaves_the_choice_to_the_default_class() -> None:
    ingress = build_ingress(REQUEST)
    assert "ingressClassName" not in ingress["spec"]
    assert "annotations" not in ingress["metadata"]


def test_adding_the_path_puts_it_first_in_the_hosts_rule_and_changes_nothing_else() -> None:
    original = user_ingress()
    edited = add_challenge_path(original, REQUEST)
    assert original == user_ingress()
    expected = user_ingress()
    expected["spec"]["rules"][1]["http"]["paths"].insert(0, challenge_path_entry(REQUEST))
    assert edited == expected


def test_adding_the_path_twice_keeps_one_entry() -> None:
    once = add_challenge_path(user_ingress(), REQUEST)
    assert add_challenge_path(once, REQUEST) == once


def test_adding_the_path_for_a_new_host_appends_a_rule() -> None:
    edited = add_challenge_path(user_ingress(), request(dns_name="new.example.com"))
    assert edited["spec"]["rules"][:2] == user_ingress()["spec"]["rules"]
    assert edited["spec"]["rules"][2] == {
        "host": "new.example.com",
        "http": {"paths": [challenge_path_entry(request(dns_name="new.example.com"))]},
    }


def test_removing_the_path_restores_the_users_ingress() -> None:
    for dns_name in ("www.example.com", "new.example.com"):
        edited = add_challenge_path(user_ingress(), request(dns_name=dns_name))
        assert remove_challenge_path(edited, REQUEST.token) == user_ingress()


def test_removing_the_path_leaves_other_challenges_and_the_input_alone() -> None:
    both = add_challenge_path(add_challenge_path(user_ingress(), REQUEST), request(token="other"))
    before = repr(both)
    after = remove_challenge_path(both, REQUEST.token)
    assert repr(both) == before
    assert after == add_challenge_path(user_ingress(), request(token="other"))


def test_removing_an_absent_path_changes_nothing() -> None:
    assert remove_challenge_path(user_ingress(), "absent") == user_ingress()
    assert remove_challenge_path({"metadata": {"name": "bare"}}, "absent") == {"metadata": {"name": "bare"}}


def test_removing_paths_by_solver_service_restores_the_users_ingress() -> None:
    other = request(token="other", dns_name="new.example.com")
    both = add_challenge_path(add_challenge_path(user_ingress(), REQUEST), other)
    assert remove_paths_to_services(both, {solver_name(REQUEST), solver_name(other)}) == user_ingress()
    assert remove_paths_to_services(both, {solver_name(other)}) == add_challenge_path(user_ingress(), REQUEST)
    assert remove_paths_to_services(user_ingress(), {"evercert-solver-0000000000"}) == user_ingress()


@pytest.mark.parametrize("address", ["127.0.0.1", "2001:db8::1"])
def test_the_route_for_an_ip_address_has_no_host_rule(address: str) -> None:
    """An Ingress host cannot be an IP address; the CA connects to the address itself."""
    ip = request(dns_name=address)
    (rule,) = build_ingress(ip)["spec"]["rules"]
    assert "host" not in rule
    assert rule["http"]["paths"][0]["path"] == ACME_CHALLENGE_PATH + REQUEST.token
    edited = add_challenge_path(user_ingress(), ip)
    assert [r for r in edited["spec"]["rules"] if "host" not in r] == [rule]
