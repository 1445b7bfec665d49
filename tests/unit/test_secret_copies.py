"""Copies of a Certificate's Secret in other namespaces (spec.secretCopies): the selector, the plan,
the copy's body, what status and Events say, and which Certificates a namespace's change concerns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from evercert.api.certificate import parse_certificate
from evercert.certificates.tls_secret import SecretContents
from evercert.copies.bodies import copy_body
from evercert.copies.plan import CopyPlan, plan_copies
from evercert.copies.registry import CopyRegistry
from evercert.copies.report import report
from evercert.copies.sync import CopyOutcome, existing_copies
from evercert.core import constants
from evercert.core.errors import InvalidSpec
from evercert.pki import CertificateInfo

ACCEPT = constants.LABEL_ACCEPT_COPIES_FROM
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def body(copies: Any = None, **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"secretName": "gw-tls", "dnsNames": ["gw.example"], "issuerRef": {"name": "le"}}
    if copies is not None:
        spec["secretCopies"] = copies
    return {"metadata": {"name": "gateway", "namespace": "certs", "uid": "u-1"}, "spec": spec, **extra}


def spec_copying(selector: dict[str, Any]):
    return parse_certificate(body({"namespaceSelector": selector}))


def contents(serial: str = "aa", **annotations: str) -> SecretContents:
    info = CertificateInfo(serial, NOW, NOW + timedelta(days=90), ("gw.example",), None, "CA")
    return SecretContents(info, True, True, ("ECDSA", 256), annotations, files=())


COPY = {constants.ANNOTATION_COPY_OF: "certs/gateway"}
NAMESPACES = {
    "certs": {"team": "edge", ACCEPT: "certs"},
    "istio-system": {"team": "edge", ACCEPT: "certs"},
    "ingress": {"team": "edge"},
    "shop": {"team": "shop", ACCEPT: "certs"},
    "other": {"team": "edge", ACCEPT: "elsewhere"},
}


def test_copies_go_only_to_selected_namespaces_that_accept_the_source() -> None:
    plan = plan_copies(spec_copying({"matchLabels": {"team": "edge"}}), contents(), NAMESPACES, {})
    assert plan == CopyPlan(
        write=("istio-system",), copied=("istio-system",), not_accepted=("ingress", "other")
    )


def test_a_current_copy_is_left_alone_and_a_stale_one_written_again() -> None:
    spec = spec_copying({"matchLabels": {"team": "edge"}})
    current = plan_copies(spec, contents("aa"), NAMESPACES, {"istio-system": contents("aa", **COPY)})
    assert current.write == () and current.copied == ("istio-system",)
    stale = plan_copies(spec, contents("bb"), NAMESPACES, {"istio-system": contents("aa", **COPY)})
    assert stale.write == ("istio-system",)
    outputs = {constants.ANNOTATION_OUTPUTS: "sha256:1"}
    changed = plan_copies(
        spec, contents("aa", **outputs), NAMESPACES, {"istio-system": contents("aa", **COPY)}
    )
    assert changed.write == ("istio-system",)


@pytest.mark.parametrize(
    ("labels", "why"),
    [
        ({"team": "shop", ACCEPT: "certs"}, "no longer selected"),
        ({"team": "edge"}, "no longer opts in"),
        ({"team": "edge", ACCEPT: "elsewhere"}, "opts in to another source"),
    ],
)
def test_a_copy_is_deleted_when_the_match_or_the_opt_in_goes(labels: dict[str, str], why: str) -> None:
    spec = spec_copying({"matchLabels": {"team": "edge"}})
    plan = plan_copies(spec, contents(), {"istio-system": labels}, {"istio-system": contents(**COPY)})
    assert plan.delete == ("istio-system",), why
    assert plan.write == () and plan.copied == ()


def test_removing_secret_copies_deletes_every_copy() -> None:
    spec = parse_certificate(body())
    plan = plan_copies(spec, contents(), NAMESPACES, {"istio-system": contents(**COPY)})
    assert plan == CopyPlan(delete=("istio-system",))


def test_match_expressions_select_like_kubernetes() -> None:
    spec = spec_copying(
        {
            "matchExpressions": [
                {"key": "team", "operator": "In", "values": ["edge", "shop"]},
                {"key": "legacy", "operator": "DoesNotExist"},
            ]
        }
    )
    namespaces = {**NAMESPACES, "old": {"team": "edge", "legacy": "yes", ACCEPT: "certs"}}
    assert plan_copies(spec, contents(), namespaces, {}).copied == ("istio-system", "shop")
    notin = spec_copying({"matchExpressions": [{"key": "team", "operator": "NotIn", "values": ["edge"]}]})
    assert plan_copies(notin, contents(), NAMESPACES, {}).copied == ("shop",)
    exists = spec_copying({"matchExpressions": [{"key": ACCEPT, "operator": "Exists"}]})
    assert plan_copies(exists, contents(), NAMESPACES, {}).copied == ("istio-system", "shop")


@pytest.mark.parametrize(
    ("copies", "says"),
    [
        ({}, "namespaceSelector must be set"),
        ({"namespaceSelector": {"matchExpressions": [{"key": "a", "operator": "In"}]}}, "must list values"),
        (
            {
                "namespaceSelector": {
                    "matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]
                }
            },
            "must be empty",
        ),
        ({"namespaceSelector": {"matchExpressions": [{"key": "a", "operator": "Near"}]}}, "operator"),
    ],
)
def test_bad_selectors_name_the_field(copies: dict[str, Any], says: str) -> None:
    with pytest.raises(InvalidSpec, match=says):
        parse_certificate(body(copies or {"namespaceSelector": None}))


def test_a_copy_carries_the_data_and_names_its_source_but_no_owner() -> None:
    spec = spec_copying({"matchLabels": {"team": "edge"}})
    source = {
        "type": constants.TLS_SECRET_TYPE,
        "metadata": {
            "name": "gw-tls",
            "namespace": "certs",
            "resourceVersion": "9",
            "ownerReferences": [{"kind": "Certificate"}],
            "annotations": {
                constants.ANNOTATION_CERTIFICATE_NAME: "gateway",
                constants.ANNOTATION_SERIAL: "aa",
                "kopf.zalando.org/last-handled-configuration": "{}",
            },
        },
        "data": {"tls.crt": "Y3J0", "tls.key": "a2V5", "keystore.p12": "cDEy"},
    }
    copy = copy_body(spec, source, "istio-system", "12")
    meta = copy["metadata"]
    assert (meta["namespace"], meta["name"], meta["resourceVersion"]) == ("istio-system", "gw-tls", "12")
    assert copy["data"] == source["data"] and copy["type"] == constants.TLS_SECRET_TYPE
    assert "ownerReferences" not in meta
    assert meta["annotations"] == {
        constants.ANNOTATION_SERIAL: "aa",
        constants.ANNOTATION_COPY_OF: "certs/gateway",
    }
    assert meta["labels"][constants.LABEL_COPY_SOURCE_UID] == "u-1"
    assert meta["labels"][constants.LABEL_COPY_SOURCE_NAMESPACE] == "certs"
    assert meta["labels"][constants.LABEL_MANAGED_BY] == constants.MANAGED_BY


def test_only_this_certificates_copies_count_as_existing() -> None:
    spec = spec_copying({"matchLabels": {"team": "edge"}})
    served = {
        ("istio-system", "gw-tls"): contents(**COPY),
        ("ingress", "gw-tls"): contents(**{constants.ANNOTATION_COPY_OF: "elsewhere/gateway"}),
        ("shop", "gw-tls"): contents(**{constants.ANNOTATION_CERTIFICATE_NAME: "shop-gateway"}),
        ("certs", "gw-tls"): contents(**COPY),
    }
    found = existing_copies(spec, NAMESPACES, lambda ns, name: served.get((ns, name)))
    assert list(found) == ["istio-system"]


def test_status_lists_the_copies_and_a_warning_names_namespaces_that_did_not_opt_in() -> None:
    outcome = CopyOutcome(CopyPlan(copied=("istio-system",), not_accepted=("ingress",)))
    first = report(None, outcome)
    assert first.patch == {
        "secretCopies": {"namespaces": ["istio-system"], "notAccepted": ["ingress"], "conflicts": None}
    }
    assert first.event is not None and first.event.type == "Warning"
    assert first.event.reason == "CopiesNotAccepted" and "ingress" in first.event.message
    again = report({"namespaces": ["istio-system"], "notAccepted": ["ingress"]}, outcome)
    assert again.patch == {} and again.event is None
    gone = report({"namespaces": ["istio-system"], "notAccepted": ["ingress"]}, CopyOutcome(CopyPlan()))
    assert gone.patch == {"secretCopies": None} and gone.event is None


def test_a_secret_that_is_not_a_copy_is_reported_as_a_conflict() -> None:
    outcome = CopyOutcome(CopyPlan(write=("shop",), copied=("shop",)), conflicts=("shop",))
    reported = report(None, outcome)
    assert reported.patch == {
        "secretCopies": {"namespaces": None, "notAccepted": None, "conflicts": ["shop"]}
    }
    assert reported.event is not None and reported.event.reason == "CopyConflict"


def test_a_namespace_change_concerns_only_certificates_with_copies() -> None:
    registry = CopyRegistry()
    registry.observe_certificate(("certs", "gateway"), body({"namespaceSelector": {}}))
    registry.observe_certificate(("certs", "plain"), body())
    registry.observe_certificate(("certs", "was"), body(status={"secretCopies": {"namespaces": ["a"]}}))
    assert registry.sources == {("certs", "gateway"), ("certs", "was")}
    assert registry.observe_namespace("a", {"x": "1"}) is True
    assert registry.observe_namespace("a", {"x": "1"}) is False
    assert registry.observe_namespace("a", {"x": "2"}) is True
    assert registry.forget_namespace("a") is True and registry.forget_namespace("a") is False
    registry.forget_certificate(("certs", "gateway"))
    assert registry.sources == {("certs", "was")}
