"""cert-manager objects as evercert's: what moves as it is, what is written out, what stays behind."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from evercert.api.certificate import parse_certificate
from evercert.api.issuer import IssuerKey, parse_issuer
from evercert.core import constants
from evercert.migration.certificates import convert_certificate
from evercert.migration.issuers import convert_issuer
from evercert.migration.outcome import Conversion

SERVER = "https://acme-v02.api.letsencrypt.org/directory"


def cm_issuer(acme: dict[str, Any] | None = None, kind: str = "ClusterIssuer", **spec: Any) -> dict[str, Any]:
    metadata = {"name": "letsencrypt", **({"namespace": "shop"} if kind == "Issuer" else {})}
    body_spec = dict(spec)
    if acme is not None:
        body_spec["acme"] = {
            "server": SERVER,
            "email": "ops@example.org",
            "privateKeySecretRef": {"name": "letsencrypt-account"},
            "solvers": [{"http01": {"ingress": {"ingressClassName": "traefik"}}}],
            **acme,
        }
    return {"apiVersion": "cert-manager.io/v1", "kind": kind, "metadata": metadata, "spec": body_spec}


def cm_certificate(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "web", "namespace": "shop", "labels": {"team": "a"}},
        "spec": {
            "secretName": "web-tls",
            "dnsNames": ["web.example.org"],
            "issuerRef": {"name": "letsencrypt", "kind": "ClusterIssuer", "group": "cert-manager.io"},
            **spec,
        },
    }


ISSUERS = {IssuerKey("ClusterIssuer", None, "letsencrypt"): convert_issuer(cm_issuer({}), "ClusterIssuer")}
CA_BUNDLE = base64.b64encode(b"not checked here").decode()


def test_an_acme_cluster_issuer_moves_with_the_same_name_account_and_settings() -> None:
    given = {
        "profile": "tlsserver",
        "preferredChain": "ISRG Root X1",
        "skipTLSVerify": False,
        "externalAccountBinding": {"keyID": "kid-1", "keySecretRef": {"name": "eab", "key": "secret"}},
    }
    moved = convert_issuer(cm_issuer(given), "ClusterIssuer")
    assert moved.refusal is None and moved.body is not None
    acme = moved.body["spec"]["acme"]
    assert moved.body["apiVersion"] == constants.API_VERSION
    assert moved.body["metadata"]["name"] == "letsencrypt"
    assert {k: acme[k] for k in given} == given
    assert acme["privateKeySecretRef"] == {"name": "letsencrypt-account"}
    spec = parse_issuer(moved.body, "ClusterIssuer")
    assert (spec.server, spec.email, spec.profile) == (SERVER, "ops@example.org", "tlsserver")
    assert spec.external_account_binding is not None and spec.external_account_binding.key_id == "kid-1"


def test_a_gateway_solver_moves_and_pod_settings_evercert_lacks_are_noted() -> None:
    solver = {
        "http01": {
            "gatewayHTTPRoute": {
                "parentRefs": [{"name": "web", "namespace": "gateways", "sectionName": "http"}],
                "podTemplate": {"spec": {"nodeSelector": {"zone": "a"}, "priorityClassName": "high"}},
            }
        }
    }
    moved = convert_issuer(cm_issuer({"solvers": [solver]}), "ClusterIssuer")
    assert moved.body is not None
    route = moved.body["spec"]["acme"]["solvers"][0]["http01"]["gatewayHTTPRoute"]
    assert route["parentRefs"] == solver["http01"]["gatewayHTTPRoute"]["parentRefs"]
    assert route["podTemplate"] == {"spec": {"nodeSelector": {"zone": "a"}}}
    assert any("priorityClassName" in note for note in moved.notes)


DNS01_SOLVERS = [
    {
        "selector": {"dnsZones": ["example.org"]},
        "dns01": {
            "cnameStrategy": "Follow",
            "rfc2136": {
                "nameserver": "10.0.0.53",
                "tsigKeyName": "k",
                "tsigAlgorithm": "HMACSHA256",
                "tsigSecretSecretRef": {"name": "tsig", "key": "secret"},
            },
        },
    },
    {
        "selector": {"dnsZones": ["example.net"]},
        "dns01": {
            "acmeDNS": {
                "host": "https://acme-dns.example.org",
                "accountSecretRef": {"name": "acme-dns", "key": "acmedns.json"},
            }
        },
    },
    {
        "selector": {"dnsNames": ["*.example.com"]},
        "dns01": {
            "webhook": {"groupName": "acme.example.com", "solverName": "pdns", "config": {"zone": "x"}}
        },
    },
    {"http01": {"ingress": {}}},
]


def test_dns01_issuers_move_with_their_sections_as_they_are() -> None:
    moved = convert_issuer(cm_issuer({"solvers": DNS01_SOLVERS}), "ClusterIssuer")
    assert moved.refusal is None and moved.body is not None
    assert moved.body["spec"]["acme"]["solvers"] == DNS01_SOLVERS
    spec = parse_issuer(moved.body, "ClusterIssuer")  # evercert serves them as they are
    assert len(spec.solvers) == len(DNS01_SOLVERS)
    assert [note.split(":")[0] for note in moved.notes] == ["spec.acme.solvers[2].dns01.webhook"]


@pytest.mark.parametrize(
    ("issuer", "kind", "why"),
    [
        pytest.param(cm_issuer(None, ca={"secretName": "root"}), "ClusterIssuer", "a ca issuer", id="ca"),
        pytest.param(cm_issuer(None, selfSigned={}), "Issuer", "a selfSigned issuer", id="self-signed"),
        pytest.param(
            cm_issuer({"solvers": [{"dns01": {"route53": {"region": "eu-west-1"}}}]}),
            "ClusterIssuer",
            "route53 is not supported",
            id="route53",
        ),
        pytest.param(
            cm_issuer({"privateKeySecretRef": {"name": "acct", "key": "key.pem"}}, kind="Issuer"),
            "Issuer",
            "'key.pem'",
            id="account-key-field",
        ),
        pytest.param(
            cm_issuer({"server": "http://ca.example.org/dir"}), "ClusterIssuer", "https://", id="bad-server"
        ),
        pytest.param(cm_issuer({"solvers": [{}]}), "ClusterIssuer", "neither http01", id="empty-solver"),
    ],
)
def test_issuers_evercert_cannot_serve_stay_behind_with_the_reason(
    issuer: dict[str, Any], kind: str, why: str
) -> None:
    result = convert_issuer(issuer, kind)
    assert result.body is None
    assert result.refusal is not None and why in result.refusal


def test_ignored_acme_settings_are_noted() -> None:
    moved = convert_issuer(cm_issuer({"enableDurationFeature": True}), "ClusterIssuer")
    assert moved.body is not None and "enableDurationFeature" not in moved.body["spec"]["acme"]
    assert any("enableDurationFeature" in note for note in moved.notes)


def test_a_certificate_moves_with_cert_managers_defaults_written_out() -> None:
    moved = convert_certificate(cm_certificate(), ISSUERS)
    assert moved.body is not None
    spec = moved.body["spec"]
    assert spec["privateKey"] == {"algorithm": "RSA", "size": 2048, "rotationPolicy": "Always"}
    assert spec["duration"] == "2160h"
    assert "renewBefore" not in spec  # both default to a third of the lifetime
    assert spec["issuerRef"] == {"name": "letsencrypt", "kind": "ClusterIssuer", "group": constants.GROUP}
    assert moved.body["metadata"]["labels"] == {"team": "a"}
    parsed = parse_certificate(moved.body)
    assert (parsed.private_key.algorithm, parsed.private_key.size) == ("RSA", 2048)


@pytest.mark.parametrize(
    ("private_key", "expected"),
    [
        ({"algorithm": "ECDSA"}, {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"}),
        ({"rotationPolicy": "Never"}, {"algorithm": "RSA", "size": 2048, "rotationPolicy": "Never"}),
        (
            {"algorithm": "RSA", "size": 4096, "rotationPolicy": "Always"},
            {"algorithm": "RSA", "size": 4096, "rotationPolicy": "Always"},
        ),
    ],
)
def test_private_key_settings_are_kept_and_completed(
    private_key: dict[str, Any], expected: dict[str, Any]
) -> None:
    moved = convert_certificate(cm_certificate(privateKey=private_key), ISSUERS)
    assert moved.body is not None and moved.body["spec"]["privateKey"] == expected


def test_spec_fields_are_copied_and_ignored_ones_noted() -> None:
    given = {
        "commonName": "web.example.org",
        "ipAddresses": ["192.0.2.1"],
        "renewBefore": "360h",
        "duration": "720h",
        "secretTemplate": {"labels": {"app": "web"}},
        "usages": ["server auth"],
        "subject": {"organizations": ["Example"]},
    }
    moved = convert_certificate(cm_certificate(**given), ISSUERS)
    assert moved.body is not None
    spec = moved.body["spec"]
    assert {
        k: spec[k] for k in ("commonName", "ipAddresses", "renewBefore", "duration", "secretTemplate")
    } == {k: given[k] for k in ("commonName", "ipAddresses", "renewBefore", "duration", "secretTemplate")}
    assert "usages" not in spec and "subject" not in spec
    assert sum("the ACME CA decides it" in note for note in moved.notes) == 2


def test_a_certificate_made_by_the_ingress_shim_keeps_its_ingress_owner() -> None:
    body = cm_certificate()
    owner = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "name": "web",
        "uid": "u",
        "controller": True,
    }
    body["metadata"]["ownerReferences"] = [owner]
    moved = convert_certificate(body, ISSUERS)
    assert moved.body is not None and moved.body["metadata"]["ownerReferences"] == [owner]


@pytest.mark.parametrize(
    ("spec", "issuers", "why"),
    [
        pytest.param({"uris": ["spiffe://x"]}, ISSUERS, "spec.uris", id="uris"),
        pytest.param({"isCA": True}, ISSUERS, "isCA", id="ca"),
        pytest.param({"privateKey": {"algorithm": "Ed25519"}}, ISSUERS, "Ed25519", id="ed25519"),
        pytest.param(
            {"issuerRef": {"name": "pca", "kind": "AWSPCAIssuer", "group": "awspca.cert-manager.io"}},
            ISSUERS,
            "external issuer",
            id="external",
        ),
        pytest.param({}, {}, "was not found", id="missing-issuer"),
        pytest.param(
            {},
            {
                IssuerKey("ClusterIssuer", None, "letsencrypt"): Conversion(
                    "ClusterIssuer", None, "letsencrypt", refusal="a ca issuer"
                )
            },
            "was not moved: a ca issuer",
            id="issuer-not-moved",
        ),
        pytest.param({"dnsNames": ["not a name"]}, ISSUERS, "evercert would refuse it", id="invalid"),
    ],
)
def test_certificates_evercert_cannot_serve_stay_behind_with_the_reason(
    spec: dict[str, Any], issuers: dict[IssuerKey, Conversion], why: str
) -> None:
    result = convert_certificate(cm_certificate(**spec), issuers)
    assert result.body is None
    assert result.refusal is not None and why in result.refusal, result.refusal
