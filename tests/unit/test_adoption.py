"""tls Secrets cert-manager wrote: adopted without a new order while they serve the spec, else reissued."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from evercert.api.certificate import IssuerRef, parse_certificate
from evercert.certificates.adoption_patch import adoption_marking
from evercert.certificates.tls_secret import check_ownership, read_contents
from evercert.certificates.trigger import issuance_reason
from evercert.core import constants, reasons
from evercert.core.errors import SecretNotOwned
from evercert.pki.keys import generate_private_key, private_key_to_pem

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
NAMES = ["web.example.org"]
RSA_KEY = generate_private_key("RSA", 2048)


def spec(**private_key: Any) -> Any:
    return parse_certificate(
        {
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {
                "secretName": "web-tls",
                "dnsNames": NAMES,
                "issuerRef": {"name": "letsencrypt", "kind": "ClusterIssuer"},
                "privateKey": {"algorithm": "RSA", "size": 2048, **private_key},
            },
        }
    )


def cert_manager_annotations(certificate: str = "web", **override: str) -> dict[str, str]:
    """As cert-manager v1.21 writes them on a Certificate's Secret."""
    return {
        "cert-manager.io/certificate-name": certificate,
        "cert-manager.io/issuer-name": "letsencrypt",
        "cert-manager.io/issuer-kind": "ClusterIssuer",
        "cert-manager.io/issuer-group": "cert-manager.io",
        "cert-manager.io/common-name": "",
        "cert-manager.io/alt-names": ",".join(NAMES),
        "cert-manager.io/ip-sans": "",
        "cert-manager.io/uri-sans": "",
        **override,
    }


@pytest.fixture
def secret(make_ca: Callable[..., Any], issue_leaf: Callable[..., x509.Certificate]) -> Callable[..., Any]:
    root = make_ca("test root")
    intermediate = make_ca("test intermediate", parent=root)
    stranger = make_ca("another intermediate", parent=root)

    def make(
        names: list[str] = NAMES, annotations: dict[str, str] | None = None, signer: Any = None
    ) -> dict[str, Any]:
        leaf = issue_leaf(
            signer or intermediate, RSA_KEY, names, NOW - timedelta(days=1), NOW + timedelta(days=89)
        )
        chain = leaf.public_bytes(serialization.Encoding.PEM) + intermediate.pem
        data = {"tls.crt": chain, "tls.key": private_key_to_pem(RSA_KEY), "ca.crt": b""}
        return {
            "type": "kubernetes.io/tls",
            "metadata": {
                "name": "web-tls",
                "namespace": "shop",
                "annotations": cert_manager_annotations() if annotations is None else annotations,
                "labels": {"controller.cert-manager.io/fao": "true"},
            },
            "data": {k: base64.b64encode(v).decode() for k, v in data.items()},
        }

    make.stranger = stranger  # type: ignore[attr-defined]
    return make


def test_a_secret_cert_manager_wrote_that_serves_the_spec_needs_no_new_order(secret: Any) -> None:
    body = secret()
    check_ownership(body, spec())  # no allow-takeover annotation needed
    assert issuance_reason(spec(), read_contents(body), NOW) is None


def test_adopting_adds_evercerts_label_and_annotations_and_keeps_cert_managers(secret: Any) -> None:
    body = secret()
    marking = adoption_marking(spec(), body, IssuerRef("letsencrypt", "ClusterIssuer"))
    assert marking is not None
    assert marking["labels"] == {constants.LABEL_MANAGED_BY: constants.MANAGED_BY}
    annotations = marking["annotations"]
    assert annotations[constants.ANNOTATION_CERTIFICATE_NAME] == "web"
    assert annotations[constants.ANNOTATION_ISSUER_NAME] == "letsencrypt"
    assert annotations[constants.ANNOTATION_ISSUER_KIND] == "ClusterIssuer"
    assert not any(key.startswith("cert-manager.io/") for key in annotations)  # a merge patch: theirs stay
    assert "data" not in marking


def test_an_adopted_secret_is_not_marked_again(secret: Any) -> None:
    body = secret()
    body["metadata"]["annotations"][constants.ANNOTATION_CERTIFICATE_NAME] = "web"
    assert adoption_marking(spec(), body, IssuerRef("letsencrypt", "ClusterIssuer")) is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        pytest.param({"names": ["old.example.org"]}, reasons.SECRET_MISMATCH, id="names-changed"),
        pytest.param(
            {"annotations": cert_manager_annotations(**{"cert-manager.io/issuer-name": "other"})},
            reasons.INCORRECT_ISSUER,
            id="another-issuer",
        ),
        pytest.param(
            {
                "annotations": cert_manager_annotations(
                    **{"cert-manager.io/issuer-group": "awspca.cert-manager.io"}
                )
            },
            reasons.INCORRECT_ISSUER,
            id="external-issuer",
        ),
        pytest.param({"signer": "stranger"}, reasons.INCORRECT_ISSUER, id="does-not-chain-up"),
    ],
)
def test_a_secret_that_no_longer_matches_is_reissued_with_the_reason(
    secret: Any, change: dict[str, Any], reason: str
) -> None:
    if change.get("signer") == "stranger":
        change = {"signer": secret.stranger}
    assert issuance_reason(spec(), read_contents(secret(**change)), NOW) == reason


def test_a_key_of_another_type_than_the_spec_is_reissued(secret: Any) -> None:
    ecdsa = spec(algorithm="ECDSA", size=256)
    assert issuance_reason(ecdsa, read_contents(secret()), NOW) == reasons.PRIVATE_KEY_MISMATCH


def test_a_secret_cert_manager_wrote_for_another_certificate_is_still_refused(secret: Any) -> None:
    with pytest.raises(SecretNotOwned):
        check_ownership(secret(annotations=cert_manager_annotations("api")), spec())


def test_adopting_drops_an_owner_reference_to_cert_managers_certificate(secret: Any) -> None:
    body = secret()
    theirs = {"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "name": "web", "uid": "u1"}
    other = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "u2"}
    body["metadata"]["ownerReferences"] = [theirs, other]
    marking = adoption_marking(spec(), body, IssuerRef("letsencrypt", "ClusterIssuer"))
    assert marking is not None and marking["ownerReferences"] == [other]
    del body["metadata"]["ownerReferences"]
    unowned = adoption_marking(spec(), body, IssuerRef("letsencrypt", "ClusterIssuer"))
    assert unowned is not None and "ownerReferences" not in unowned
