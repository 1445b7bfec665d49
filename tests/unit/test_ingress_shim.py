"""The ingress-shim's pure logic: what an Ingress asks for, and the plan for a namespace."""

from __future__ import annotations

import datetime
from typing import Any

from evercert.acme.order import Http01Task
from evercert.api.certificate import parse_certificate
from evercert.api.issuer import Http01IngressSolver
from evercert.core.reasons import INGRESS_CONFLICT
from evercert.ingress_shim.annotations import ShimOptions
from evercert.ingress_shim.bodies import certificate_body, existing_certificate, updated_certificate
from evercert.ingress_shim.model import DesiredCertificate, ExistingCertificate, OwnerRef, ShimRequest
from evercert.ingress_shim.plan import Delete, Report, Write, concerns_shim, conflict_conditions, plan
from evercert.ingress_shim.requests import ingress_request
from evercert.solver.challenge import SolverRequest
from evercert.solver.presenting import solver_request

NS = "shop"
PLAIN = ShimOptions()
COMPAT = ShimOptions(cert_manager_annotations=True, default_issuer=("ClusterIssuer", "letsencrypt"))


def ingress(
    annotations: dict[str, str] | None = None,
    tls: list[dict[str, Any]] | None = None,
    name: str = "web",
    uid: str = "uid-web",
    created: str = "2026-01-01T00:00:00Z",
) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": name,
            "namespace": NS,
            "uid": uid,
            "creationTimestamp": created,
            "annotations": {"evercert.dev/cluster-issuer": "letsencrypt"}
            if annotations is None
            else annotations,
        },
        "spec": {"tls": [{"hosts": ["www.example.org"], "secretName": "web-tls"}] if tls is None else tls},
    }


def request_of(body: dict[str, Any], options: ShimOptions = PLAIN) -> ShimRequest:
    request = ingress_request(body, options)
    assert request is not None
    return request


def only_spec(body: dict[str, Any], options: ShimOptions = PLAIN) -> dict[str, Any]:
    request = request_of(body, options)
    assert request.problems == ()
    (desired,) = request.certificates
    return dict(desired.spec)


class TestWhatAnIngressAsksFor:
    def test_one_certificate_per_tls_entry_named_after_its_secret(self) -> None:
        body = ingress(
            tls=[
                {"hosts": ["www.example.org", "example.org"], "secretName": "web-tls"},
                {"hosts": ["api.example.org"], "secretName": "api-tls"},
            ]
        )
        request = request_of(body)
        assert request.owner == OwnerRef("web", "uid-web", "2026-01-01T00:00:00Z")
        assert [(d.name, d.spec["dnsNames"]) for d in request.certificates] == [
            ("web-tls", ["www.example.org", "example.org"]),
            ("api-tls", ["api.example.org"]),
        ]
        assert request.certificates[0].spec == {
            "secretName": "web-tls",
            "dnsNames": ["www.example.org", "example.org"],
            "issuerRef": {"name": "letsencrypt", "kind": "ClusterIssuer"},
        }

    def test_the_issuer_annotation_means_an_issuer_in_the_namespace(self) -> None:
        spec = only_spec(ingress({"evercert.dev/issuer": "team-ca"}))
        assert spec["issuerRef"] == {"name": "team-ca", "kind": "Issuer"}

    def test_an_ingress_without_the_annotations_asks_for_nothing(self) -> None:
        assert (
            ingress_request(ingress({"nginx.ingress.kubernetes.io/rewrite-target": "/"}), ShimOptions())
            is None
        )

    def test_entries_sharing_a_secret_are_merged(self) -> None:
        body = ingress(
            tls=[
                {"hosts": ["a.example.org", "b.example.org"], "secretName": "shared"},
                {"hosts": ["b.example.org", "c.example.org"], "secretName": "shared"},
            ]
        )
        assert only_spec(body)["dnsNames"] == ["a.example.org", "b.example.org", "c.example.org"]

    def test_optional_annotations_set_certificate_fields(self) -> None:
        annotations = {
            "evercert.dev/cluster-issuer": "letsencrypt",
            "evercert.dev/duration": "2160h",
            "evercert.dev/renew-before": "720h",
            "evercert.dev/private-key-algorithm": "ECDSA",
            "evercert.dev/private-key-size": "384",
            "evercert.dev/private-key-rotation-policy": "Never",
            "evercert.dev/http01-ingress-class": "nginx-public",
        }
        request = request_of(ingress(annotations))
        (desired,) = request.certificates
        assert desired.spec["duration"] == "2160h" and desired.spec["renewBefore"] == "720h"
        assert desired.spec["privateKey"] == {"algorithm": "ECDSA", "size": 384, "rotationPolicy": "Never"}
        assert desired.annotations == {"evercert.dev/http01-ingress-class": "nginx-public"}
        parsed = parse_certificate(certificate_body(desired, NS, request.owner))
        assert parsed.solver_ingress_class == "nginx-public"
        assert parsed.private_key.size == 384

    def test_a_bad_annotation_is_a_problem_naming_it_and_nothing_is_asked(self) -> None:
        request = request_of(
            ingress({"evercert.dev/cluster-issuer": "le", "evercert.dev/duration": "90 days"})
        )
        assert request.certificates == ()
        (problem,) = request.problems
        assert problem.startswith("evercert.dev/duration: '90 days' is not a duration")

    def test_a_key_size_that_does_not_fit_the_algorithm_is_a_problem(self) -> None:
        annotations = {
            "evercert.dev/cluster-issuer": "le",
            "evercert.dev/private-key-algorithm": "RSA",
            "evercert.dev/private-key-size": "384",
        }
        request = request_of(ingress(annotations))
        assert request.certificates == ()
        assert "384 is not a size for RSA keys" in request.problems[0]

    def test_both_issuer_annotations_are_a_problem(self) -> None:
        request = request_of(ingress({"evercert.dev/issuer": "a", "evercert.dev/cluster-issuer": "b"}))
        assert request.certificates == ()
        assert request.problems == ("set only one of evercert.dev/issuer and evercert.dev/cluster-issuer",)

    def test_unusable_tls_entries_are_problems_and_the_others_are_still_asked_for(self) -> None:
        body = ingress(
            tls=[
                {"hosts": ["www.example.org"]},
                {"secretName": "empty-tls"},
                {"hosts": ["*.*.example.org"], "secretName": "wild-tls"},
                {"hosts": ["ok.example.org"], "secretName": "ok-tls"},
            ]
        )
        request = request_of(body)
        assert [d.name for d in request.certificates] == ["ok-tls"]
        assert request.problems[0] == "spec.tls[0] has no secretName: name the Secret evercert should write"
        assert request.problems[1] == "spec.tls[1] (secretName 'empty-tls') lists no hosts to certify"
        assert "wildcard" in request.problems[2] and "'wild-tls'" in request.problems[2]

    def test_a_wildcard_host_is_asked_for_as_is_its_issuer_solves_it_over_dns01(self) -> None:
        request = request_of(ingress(tls=[{"hosts": ["*.example.org"], "secretName": "wild-tls"}]))
        assert [d.name for d in request.certificates] == ["wild-tls"]

    def test_an_annotated_ingress_without_tls_is_a_problem(self) -> None:
        request = request_of(ingress(tls=[]))
        assert request.certificates == ()
        assert "no spec.tls entries" in request.problems[0]


class TestCertManagerAnnotations:
    def test_are_ignored_unless_switched_on(self) -> None:
        assert ingress_request(ingress({"cert-manager.io/cluster-issuer": "le"}), ShimOptions()) is None
        assert ingress_request(ingress({"kubernetes.io/tls-acme": "true"}), ShimOptions()) is None

    def test_are_read_when_switched_on(self) -> None:
        annotations = {
            "cert-manager.io/issuer": "team-ca",
            "cert-manager.io/duration": "48h",
            "cert-manager.io/private-key-algorithm": "ECDSA",
            "acme.cert-manager.io/http01-ingress-class": "traefik",
        }
        request = request_of(ingress(annotations), COMPAT)
        (desired,) = request.certificates
        assert desired.spec["issuerRef"] == {"name": "team-ca", "kind": "Issuer"}
        assert desired.spec["duration"] == "48h"
        assert desired.spec["privateKey"] == {"algorithm": "ECDSA"}
        assert desired.annotations == {"evercert.dev/http01-ingress-class": "traefik"}

    def test_issuer_kind_cluster_issuer_is_honoured(self) -> None:
        annotations = {"cert-manager.io/issuer": "le", "cert-manager.io/issuer-kind": "ClusterIssuer"}
        assert only_spec(ingress(annotations), COMPAT)["issuerRef"] == {"name": "le", "kind": "ClusterIssuer"}

    def test_ingresses_for_external_issuers_are_left_to_them(self) -> None:
        for extra in (
            {"cert-manager.io/issuer-group": "awspca.cert-manager.io"},
            {"cert-manager.io/issuer-kind": "AWSPCAIssuer"},
        ):
            assert ingress_request(ingress({"cert-manager.io/issuer": "pca", **extra}), COMPAT) is None

    def test_evercert_annotations_win(self) -> None:
        annotations = {
            "evercert.dev/cluster-issuer": "ours",
            "cert-manager.io/issuer": "theirs",
            "evercert.dev/duration": "24h",
            "cert-manager.io/duration": "48h",
        }
        spec = only_spec(ingress(annotations), COMPAT)
        assert spec["issuerRef"] == {"name": "ours", "kind": "ClusterIssuer"}
        assert spec["duration"] == "24h"

    def test_tls_acme_uses_the_default_issuer(self) -> None:
        spec = only_spec(ingress({"kubernetes.io/tls-acme": "true"}), COMPAT)
        assert spec["issuerRef"] == {"name": "letsencrypt", "kind": "ClusterIssuer"}
        assert ingress_request(ingress({"kubernetes.io/tls-acme": "false"}), COMPAT) is None

    def test_tls_acme_without_a_default_issuer_is_a_problem(self) -> None:
        request = request_of(ingress({"kubernetes.io/tls-acme": "true"}), ShimOptions(True, None))
        assert request.certificates == ()
        assert "no default issuer" in request.problems[0]


A = OwnerRef("a", "uid-a", "2026-01-01T00:00:00Z")
B = OwnerRef("b", "uid-b", "2026-01-02T00:00:00Z")


def desired(hosts: list[str], name: str = "site-tls", **extra: Any) -> DesiredCertificate:
    spec = {"secretName": name, "dnsNames": hosts, "issuerRef": {"name": "le", "kind": "ClusterIssuer"}}
    return DesiredCertificate(name, {**spec, **extra})


def asks(ref: OwnerRef, *certificates: DesiredCertificate) -> ShimRequest:
    return ShimRequest(ref, certificates)


def existing(
    wanted: DesiredCertificate, owner: OwnerRef | None, conflict: str | None = None
) -> ExistingCertificate:
    body = certificate_body(wanted, NS, owner or A)
    if owner is None:
        del body["metadata"]["ownerReferences"]
    body["metadata"]["uid"] = f"cert-{wanted.name}"
    if conflict:
        body["status"] = {"conditions": [{"type": INGRESS_CONFLICT, "status": "True", "message": conflict}]}
    return existing_certificate(body)


def by_name(*certificates: ExistingCertificate) -> dict[str, ExistingCertificate]:
    return {c.name: c for c in certificates}


class TestPlan:
    def test_creates_a_missing_certificate_controlled_by_the_ingress(self) -> None:
        wanted = desired(["www.example.org"])
        assert plan([asks(A, wanted)], {}) == [Write(wanted, A, None)]
        body = certificate_body(wanted, NS, A)
        assert body["metadata"]["ownerReferences"] == [
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "name": "a",
                "uid": "uid-a",
                "controller": True,
            }
        ]

    def test_does_nothing_when_the_certificate_matches(self) -> None:
        wanted = desired(["www.example.org"])
        assert plan([asks(A, wanted)], by_name(existing(wanted, A))) == []

    def test_a_defaulted_issuer_group_and_unmanaged_fields_are_no_difference(self) -> None:
        wanted = desired(["www.example.org"])
        body = certificate_body(wanted, NS, A)
        body["spec"]["issuerRef"]["group"] = "evercert.dev"
        body["spec"]["secretTemplate"] = {"labels": {"team": "shop"}}
        assert plan([asks(A, wanted)], by_name(existing_certificate(body))) == []

    def test_updates_the_certificate_when_the_ingress_changes(self) -> None:
        before, after = desired(["www.example.org"]), desired(["www.example.org", "shop.example.org"])
        current = existing(before, A)
        assert plan([asks(A, after)], by_name(current)) == [Write(after, A, current)]

    def test_deletes_a_certificate_no_longer_asked_for(self) -> None:
        current = existing(desired(["www.example.org"]), A)
        assert plan([asks(A)], by_name(current)) == [Delete(current)]
        assert plan([], by_name(current)) == [Delete(current)]

    def test_ingresses_asking_for_the_same_thing_share_one_certificate(self) -> None:
        wanted = desired(["www.example.org"])
        assert plan([asks(B, wanted), asks(A, wanted)], {}) == [Write(wanted, A, None)]
        assert plan([asks(B, wanted), asks(A, wanted)], by_name(existing(wanted, A))) == []

    def test_different_hosts_for_one_secret_are_reported_and_nobody_overwrites(self) -> None:
        first, second = desired(["a.example.org"]), desired(["b.example.org"])
        current = existing(first, A)
        actions = plan([asks(A, first), asks(B, second)], by_name(current))
        (report,) = actions
        assert isinstance(report, Report) and report.owners == (A, B)
        assert report.message is not None and "'a', 'b'" in report.message
        assert "follows Ingress 'a'" in report.message
        reported = existing(first, A, conflict=report.message)
        assert plan([asks(A, first), asks(B, second)], by_name(reported)) == []

    def test_the_first_ingress_to_ask_controls_a_new_certificate(self) -> None:
        first, second = desired(["a.example.org"]), desired(["b.example.org"])
        assert plan([asks(B, second), asks(A, first)], {}) == [Write(first, A, None)]

    def test_the_controller_keeps_the_certificate_even_if_another_ingress_is_older(self) -> None:
        first, second = desired(["a.example.org"]), desired(["b.example.org"])
        current = existing(second, B)
        (report,) = plan([asks(A, first), asks(B, second)], by_name(current))
        assert isinstance(report, Report) and report.owners == (B, A)

    def test_when_the_controller_stops_asking_the_other_ingress_takes_over(self) -> None:
        first, second = desired(["a.example.org"]), desired(["b.example.org"])
        current = existing(first, A, conflict="Ingresses 'a', 'b' ask for ...")
        assert plan([asks(B, second)], by_name(current)) == [
            Write(second, B, current),
            Report(current, None, (B,)),
        ]

    def test_a_certificate_not_made_from_an_ingress_is_never_taken_over(self) -> None:
        current = existing(desired(["other.example.org"]), owner=None)
        actions = plan([asks(A, desired(["www.example.org"]))], by_name(current))
        (report,) = actions
        assert isinstance(report, Report) and report.owners == (A,)
        assert report.message is not None and "was not made from an Ingress" in report.message
        assert plan([], by_name(current)) == []

    def test_a_stale_conflict_is_cleared(self) -> None:
        current = existing(desired(["other.example.org"]), owner=None, conflict="old news")
        assert plan([], by_name(current)) == [Report(current, None, ())]

    def test_unrelated_certificates_are_left_alone(self) -> None:
        assert plan([], by_name(existing(desired(["x.example.org"], name="mine"), owner=None))) == []


class TestWhichCertificateEventsMatter:
    def test_those_made_from_an_ingress_asked_for_or_reported_on(self) -> None:
        wanted = desired(["www.example.org"])
        assert concerns_shim(existing(wanted, A), [])
        assert concerns_shim(existing(wanted, owner=None), [asks(B, wanted)])
        assert concerns_shim(existing(wanted, owner=None, conflict="clash"), [])

    def test_not_others(self) -> None:
        assert not concerns_shim(existing(desired(["www.example.org"]), owner=None), [])


class TestWrites:
    def test_an_update_keeps_what_the_shim_does_not_manage(self) -> None:
        current = certificate_body(desired(["a.example.org"]), NS, A)
        current["metadata"].update(
            {
                "resourceVersion": "7",
                "annotations": {"team": "shop", "evercert.dev/http01-ingress-class": "x"},
            }
        )
        current["metadata"]["finalizers"] = ["evercert.dev/finalizer"]
        current["spec"]["secretTemplate"] = {"labels": {"team": "shop"}}
        current["spec"]["duration"] = "48h"
        wanted = desired(["b.example.org"])
        updated = updated_certificate(current, wanted, B)
        assert updated["metadata"]["resourceVersion"] == "7"
        assert updated["metadata"]["finalizers"] == ["evercert.dev/finalizer"]
        assert updated["metadata"]["annotations"] == {"team": "shop"}
        assert [ref["uid"] for ref in updated["metadata"]["ownerReferences"]] == ["uid-b"]
        assert updated["spec"] == {**dict(wanted.spec), "secretTemplate": {"labels": {"team": "shop"}}}

    def test_conflict_condition_is_set_and_cleared_beside_the_others(self) -> None:
        ready = {"type": "Ready", "status": "True", "reason": "Ready", "message": "ok"}
        conds = conflict_conditions([ready], "clash", 3, datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
        assert [c["type"] for c in conds] == ["Ready", INGRESS_CONFLICT]
        assert conds[1]["reason"] == "SecretNameConflict" and conds[1]["observedGeneration"] == 3
        assert conflict_conditions(conds, None, 3, None) == [ready]

    def test_only_an_ingress_controller_makes_a_certificate_the_shims(self) -> None:
        body = certificate_body(desired(["a.example.org"]), NS, A)
        assert existing_certificate(body).owner_uid == "uid-a"
        body["metadata"]["ownerReferences"] = [
            {"apiVersion": "example.com/v1", "kind": "Site", "name": "a", "uid": "u", "controller": True}
        ]
        assert existing_certificate(body).owner_uid is None


class TestSolverIngressClass:
    def solver_request(self, annotations: dict[str, str]) -> SolverRequest:
        body = certificate_body(desired(["www.example.org"]), NS, A)
        body["metadata"]["annotations"] = annotations
        task = Http01Task("www.example.org", "tok", "tok.thumb", "https://ca/authz", "https://ca/chall")
        solver = Http01IngressSolver(ingress_class="nginx")
        return solver_request(parse_certificate(body), solver, task, "evercert/evercert:test")

    def test_the_certificate_annotation_overrides_the_issuers_class(self) -> None:
        request = self.solver_request({"evercert.dev/http01-ingress-class": "public"})
        assert (request.ingress_class_name, request.ingress_class) == ("public", None)

    def test_without_it_the_issuers_class_holds(self) -> None:
        request = self.solver_request({})
        assert (request.ingress_class_name, request.ingress_class) == (None, "nginx")
