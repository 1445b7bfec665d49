"""Reload on renewal, pure: which Secrets a workload follows and when its Pod template is patched."""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from evercert.reload.plan import (
    IssuedCertificate,
    Reload,
    format_serials,
    issued_certificate,
    parse_selection,
    parse_serials,
    parse_time,
    plan,
    referenced_secrets,
    workload,
)

NS = "shop"
RELOAD = "evercert.dev/reload-on-renewal"
SERIALS = "evercert.dev/certificate-serials"
T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def deployment(
    reload: str | None = "web-tls",
    created: datetime = T0,
    serials: str | None = None,
    pod_spec: dict[str, Any] | None = None,
    **metadata: Any,
) -> dict[str, Any]:
    template_annotations = {"team": "shop", **({SERIALS: serials} if serials is not None else {})}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": NS,
            "uid": "uid-web",
            "resourceVersion": "41",
            "creationTimestamp": stamp(created),
            "annotations": {RELOAD: reload} if reload is not None else {},
            **metadata,
        },
        "spec": {
            "replicas": 2,
            "template": {
                "metadata": {"labels": {"app": "web"}, "annotations": template_annotations},
                "spec": pod_spec if pod_spec is not None else mounting("web-tls"),
            },
        },
    }


def mounting(*secrets: str) -> dict[str, Any]:
    return {
        "containers": [{"name": "web", "image": "nginx"}],
        "volumes": [{"name": s, "secret": {"secretName": s}} for s in secrets],
    }


def issued(secret: str, serial: str, at: datetime) -> IssuedCertificate:
    return IssuedCertificate(secret, serial, at)


def certificates(*items: IssuedCertificate) -> dict[str, IssuedCertificate]:
    return {item.secret: item for item in items}


def decide(body: dict[str, Any], *items: IssuedCertificate) -> Reload | None:
    found = workload("deployments", body)
    assert found is not None
    return plan(found, certificates(*items))


def patched(body: dict[str, Any], reload: Reload) -> dict[str, Any]:
    """The body after the API applied the merge patch (the template annotation set, the rest kept)."""
    result = copy.deepcopy(body)
    result["spec"]["template"]["metadata"]["annotations"].update(
        reload.patch()["spec"]["template"]["metadata"]["annotations"]
    )
    return result


# The annotation


def test_auto_selects_by_reference_and_names_are_split_trimmed_and_deduplicated() -> None:
    assert parse_selection("auto") == (True, ())
    assert parse_selection(" Auto ") == (True, ())
    assert parse_selection("b-tls, a-tls,,b-tls ") == (False, ("a-tls", "b-tls"))
    assert parse_selection("") == (False, ())


def test_serials_round_trip_sorted_and_malformed_entries_are_skipped() -> None:
    value = format_serials({"b-tls": "2f", "a-tls": "1e"})
    assert value == "a-tls=1e,b-tls=2f"
    assert parse_serials(value) == {"a-tls": "1e", "b-tls": "2f"}
    assert parse_serials("a-tls=1e,junk,=3,c-tls=, d-tls = 4") == {"a-tls": "1e", "d-tls": "4"}
    assert parse_serials(None) == {}


def test_finds_secrets_in_volumes_projections_env_and_env_from() -> None:
    spec = {
        "volumes": [
            {"name": "a", "secret": {"secretName": "mounted-tls"}},
            {
                "name": "b",
                "projected": {"sources": [{"secret": {"name": "projected-tls"}}, {"configMap": {}}]},
            },
            {"name": "c", "configMap": {"name": "not-a-secret"}},
            {"name": "d", "emptyDir": {}},
        ],
        "initContainers": [{"name": "init", "envFrom": [{"secretRef": {"name": "init-tls"}}]}],
        "containers": [
            {
                "name": "web",
                "env": [
                    {"name": "KEY", "valueFrom": {"secretKeyRef": {"name": "env-tls", "key": "tls.key"}}},
                    {"name": "PLAIN", "value": "x"},
                    {"name": "CM", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "k"}}},
                ],
                "envFrom": [{"configMapRef": {"name": "cm"}}],
            }
        ],
    }
    assert referenced_secrets({"spec": spec}) == {"mounted-tls", "projected-tls", "init-tls", "env-tls"}
    assert referenced_secrets({}) == frozenset()


def test_reads_the_workload_and_skips_unannotated_or_deleted_ones() -> None:
    found = workload("deployments", deployment(serials="web-tls=ab"))
    assert found is not None
    assert (found.kind, found.name, found.uid, found.resource_version) == (
        "Deployment",
        "web",
        "uid-web",
        "41",
    )
    assert found.created == T0 and found.names == ("web-tls",) and not found.auto
    assert found.recorded == {"web-tls": "ab"} and found.referenced == {"web-tls"}
    assert workload("deployments", deployment(reload=None)) is None
    assert workload("statefulsets", deployment(deletionTimestamp=stamp(T0))) is None
    assert found.event_target()["metadata"] == {"name": "web", "namespace": NS, "uid": "uid-web"}


# The Secret's certificate


def tls_secret(
    cert: x509.Certificate | None, managed_fields: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    data = (
        {"tls.crt": base64.b64encode(cert.public_bytes(serialization.Encoding.PEM)).decode()} if cert else {}
    )
    return {
        "type": "kubernetes.io/tls",
        "metadata": {"name": "web-tls", "namespace": NS, "managedFields": managed_fields or []},
        "data": data,
    }


def written_by(manager: str, at: datetime, *fields: str) -> dict[str, Any]:
    return {
        "manager": manager,
        "operation": "Update",
        "time": stamp(at),
        "fieldsType": "FieldsV1",
        "fieldsV1": {"f:data": {".": {}, **{f"f:{name}": {} for name in fields}}},
    }


def leaf(
    make_ca: Callable[..., Any], issue_leaf: Callable[..., x509.Certificate], not_before: datetime
) -> Any:
    key = ec.generate_private_key(ec.SECP256R1())
    return issue_leaf(make_ca(), key, ["www.example.org"], not_before, not_before + timedelta(days=90))


def test_the_certificate_counts_as_issued_when_tls_crt_was_last_written(make_ca, issue_leaf) -> None:
    backdated = T0 - timedelta(hours=1)  # CAs backdate notBefore; the write is what Pods could see
    cert = leaf(make_ca, issue_leaf, backdated)
    secret = tls_secret(
        cert,
        [
            written_by("evercert", T0, "tls.crt", "tls.key"),
            written_by("kubectl", T0 + timedelta(days=1), "extra"),
        ],
    )
    found = issued_certificate(secret)
    assert found == IssuedCertificate("web-tls", format(cert.serial_number, "x"), T0)


def test_without_managed_fields_the_certificate_counts_as_issued_at_not_before(make_ca, issue_leaf) -> None:
    cert = leaf(make_ca, issue_leaf, T0)
    found = issued_certificate(tls_secret(cert))
    assert found is not None and found.issued_at == T0


def test_a_secret_without_a_readable_certificate_has_none() -> None:
    assert issued_certificate(tls_secret(None)) is None
    assert issued_certificate({"metadata": {"name": "x"}, "data": {"tls.crt": "bm90IGEgY2VydA=="}}) is None
    assert issued_certificate({"metadata": {"name": "x"}, "data": {"tls.crt": "%%%"}}) is None


def test_timestamps_parse_as_utc_and_malformed_ones_as_none() -> None:
    assert parse_time("2026-03-01T12:00:00Z") == T0
    assert parse_time("2026-03-01T12:00:00") is None
    assert parse_time("yesterday") is None and parse_time(None) is None


# The decision


def test_not_restarted_on_first_issuance_when_the_workload_is_newer_than_the_certificate() -> None:
    assert decide(deployment(created=T0 + timedelta(seconds=5)), issued("web-tls", "aa", T0)) is None


def test_restarted_when_the_workload_is_older_than_the_certificate_it_never_recorded() -> None:
    reload = decide(deployment(created=T0 - timedelta(minutes=5)), issued("web-tls", "aa", T0))
    assert reload is not None and reload.serials == "web-tls=aa" and reload.renewed == ("web-tls",)


def test_the_same_second_counts_as_older_a_needless_restart_at_worst() -> None:
    assert decide(deployment(created=T0), issued("web-tls", "aa", T0)) is not None


def test_a_workload_without_a_creation_time_counts_as_older() -> None:
    body = deployment()
    del body["metadata"]["creationTimestamp"]
    assert decide(body, issued("web-tls", "aa", T0)) is not None


def test_renewal_after_a_first_issuance_that_was_not_recorded_restarts_once() -> None:
    """Created after the first certificate: nothing written then; the renewal is seen by time alone."""
    body = deployment(created=T0 + timedelta(minutes=1))
    assert decide(body, issued("web-tls", "aa", T0)) is None
    renewed = issued("web-tls", "bb", T0 + timedelta(days=60))
    reload = decide(body, renewed)
    assert reload is not None and reload.serials == "web-tls=bb"
    assert decide(patched(body, reload), renewed) is None  # the patched template shows it: no second rollout


def test_a_recorded_serial_that_is_current_means_no_patch_even_for_an_old_workload() -> None:
    body = deployment(created=T0 - timedelta(days=300), serials="web-tls=aa")
    assert decide(body, issued("web-tls", "aa", T0)) is None


def test_a_recorded_serial_that_differs_restarts_even_a_workload_newer_than_the_certificate() -> None:
    body = deployment(created=T0 + timedelta(days=1), serials="web-tls=aa")
    reload = decide(body, issued("web-tls", "bb", T0))
    assert reload is not None and reload.serials == "web-tls=bb"


def test_the_patch_records_every_followed_serial_and_names_only_the_renewed_secrets() -> None:
    body = deployment(
        reload="api-tls,web-tls",
        created=T0 + timedelta(minutes=1),
        serials="web-tls=aa",
        pod_spec=mounting("web-tls", "api-tls"),
    )
    api = issued("api-tls", "cc", T0)  # current: never recorded, older than the workload
    reload = decide(body, issued("web-tls", "bb", T0 + timedelta(days=60)), api)
    assert reload is not None
    assert reload.serials == "api-tls=cc,web-tls=bb" and reload.renewed == ("web-tls",)


def test_a_named_secret_that_evercert_does_not_manage_is_not_followed() -> None:
    assert (
        decide(deployment(reload="other-tls", created=T0 - timedelta(days=1)), issued("web-tls", "aa", T0))
        is None
    )


def test_auto_follows_only_the_managed_secrets_the_pod_template_refers_to() -> None:
    old = T0 - timedelta(days=1)
    body = deployment(reload="auto", created=old, pod_spec=mounting("web-tls", "user-secret"))
    unrelated = issued("other-tls", "dd", T0)
    reload = decide(body, issued("web-tls", "aa", T0), unrelated)
    assert reload is not None and reload.serials == "web-tls=aa"
    assert decide(deployment(reload="auto", created=old, pod_spec=mounting("user-secret")), unrelated) is None


def test_a_secret_no_longer_followed_leaves_the_template_alone() -> None:
    body = deployment(reload="api-tls", serials="web-tls=aa,api-tls=cc", pod_spec=mounting("api-tls"))
    assert decide(body, issued("web-tls", "bb", T0), issued("api-tls", "cc", T0)) is None


def test_the_patch_sets_one_template_annotation_guarded_by_uid_and_resource_version() -> None:
    reload = decide(deployment(created=T0 - timedelta(days=1)), issued("web-tls", "aa", T0))
    assert reload is not None
    assert reload.patch() == {
        "metadata": {"uid": "uid-web", "resourceVersion": "41"},
        "spec": {"template": {"metadata": {"annotations": {SERIALS: "web-tls=aa"}}}},
    }
