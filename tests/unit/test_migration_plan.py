"""The move as a plan: what is created, what each report row says, and that a second run creates nothing."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from evercert.core import constants
from evercert.migration import activity
from evercert.migration.plan import (
    ADOPTED,
    ANNOTATED,
    COPIED,
    LEFT_ALONE,
    MOVED,
    NOT_MOVED,
    REISSUED,
    UNCHANGED,
    Inventory,
    plan,
)
from evercert.pki.keys import generate_private_key, private_key_to_pem

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
KEY = generate_private_key("RSA", 2048)
ACCOUNT = base64.b64encode(b"account key PEM").decode()
EAB = base64.b64encode(b"hmac").decode()


def cluster_issuer() -> dict[str, Any]:
    return {
        "kind": "ClusterIssuer",
        "metadata": {"name": "le"},
        "spec": {
            "acme": {
                "server": "https://acme.example.org/dir",
                "privateKeySecretRef": {"name": "le-account"},
                "externalAccountBinding": {
                    "keyID": "kid",
                    "keySecretRef": {"name": "le-eab", "key": "secret"},
                },
                "solvers": [{"http01": {"ingress": {}}}],
            }
        },
    }


def certificate(name: str, names: list[str]) -> dict[str, Any]:
    return {
        "kind": "Certificate",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {
            "secretName": f"{name}-tls",
            "dnsNames": names,
            "issuerRef": {"name": "le", "kind": "ClusterIssuer"},
        },
    }


@pytest.fixture
def tls_secret(
    make_ca: Callable[..., Any], issue_leaf: Callable[..., x509.Certificate]
) -> Callable[..., Any]:
    intermediate = make_ca("intermediate", parent=make_ca("root"))

    def make(name: str, names: list[str], written_for: str | None = None) -> dict[str, Any]:
        leaf = issue_leaf(intermediate, KEY, names, NOW - timedelta(days=1), NOW + timedelta(days=89))
        chain = leaf.public_bytes(serialization.Encoding.PEM) + intermediate.pem
        annotations = {
            "cert-manager.io/certificate-name": written_for or name,
            "cert-manager.io/issuer-name": "le",
            "cert-manager.io/issuer-kind": "ClusterIssuer",
            "cert-manager.io/issuer-group": "cert-manager.io",
        }
        data = {"tls.crt": chain, "tls.key": private_key_to_pem(KEY)}
        return {
            "type": constants.TLS_SECRET_TYPE,
            "metadata": {"name": f"{name}-tls", "namespace": "shop", "annotations": annotations},
            "data": {k: base64.b64encode(v).decode() for k, v in data.items()},
        }

    return make


@pytest.fixture
def inventory(tls_secret: Callable[..., Any]) -> Inventory:
    secrets = [tls_secret("kept", ["kept.example.org"]), tls_secret("changed", ["old.example.org"])]
    ingress = {
        "kind": "Ingress",
        "metadata": {
            "name": "web",
            "namespace": "shop",
            "annotations": {"cert-manager.io/cluster-issuer": "le"},
        },
    }
    return Inventory(
        cluster_issuers=[cluster_issuer()],
        certificates=[
            certificate("kept", ["kept.example.org"]),
            certificate("changed", ["new.example.org"]),
            certificate("fresh", ["fresh.example.org"]),
        ],
        secrets={(s["metadata"]["namespace"], s["metadata"]["name"]): s for s in secrets},
        cert_manager_secrets={
            "le-account": {"data": {"tls.key": ACCOUNT}},
            "le-eab": {"data": {"secret": EAB}},
        },
        shim_sources=[ingress, {"kind": "Ingress", "metadata": {"name": "plain", "namespace": "shop"}}],
    )


def results(inventory: Inventory) -> dict[str, str]:
    return {
        f"{row.kind} {row.where}": row.result for row in plan(inventory, NOW, "cert-manager", "evercert").rows
    }


def test_the_first_run_moves_issuers_copies_account_keys_and_tells_each_secrets_fate(
    inventory: Inventory,
) -> None:
    assert results(inventory) == {
        "ClusterIssuer le": MOVED,
        "Secret evercert/le-account": COPIED,
        "Secret evercert/le-eab": COPIED,
        "Certificate shop/kept": ADOPTED,
        "Certificate shop/changed": REISSUED,
        "Certificate shop/fresh": REISSUED,
        "Ingress shop/web": ANNOTATED,
    }


def test_copied_account_keys_keep_their_bytes_in_evercerts_namespace(inventory: Inventory) -> None:
    copies = [b for b in plan(inventory, NOW, "cert-manager", "evercert").creates if b["kind"] == "Secret"]
    assert {(b["metadata"]["namespace"], b["metadata"]["name"]): b["data"] for b in copies} == {
        ("evercert", "le-account"): {"tls.key": ACCOUNT},
        ("evercert", "le-eab"): {"secret": EAB},
    }


def test_the_yaml_objects_hold_no_secrets(inventory: Inventory) -> None:
    objects = plan(inventory, NOW, "cert-manager", "evercert").objects
    assert [o["kind"] for o in objects] == ["ClusterIssuer", "Certificate", "Certificate", "Certificate"]


def test_a_second_run_creates_nothing(inventory: Inventory) -> None:
    first = plan(inventory, NOW, "cert-manager", "evercert")
    existing = {(b["kind"], b["metadata"].get("namespace"), b["metadata"]["name"]): b for b in first.objects}
    copied = {b["metadata"]["name"]: b for b in first.creates if b["kind"] == "Secret"}
    again = Inventory(**{**inventory.__dict__, "existing": existing, "evercert_secrets": copied})
    second = plan(again, NOW, "cert-manager", "evercert")
    assert second.creates == ()
    assert {row.result for row in second.rows} == {UNCHANGED, ANNOTATED}


def test_an_evercert_object_with_another_spec_and_another_account_key_are_left_alone(
    inventory: Inventory,
) -> None:
    theirs = {("ClusterIssuer", None, "le"): {"spec": {"acme": {"server": "https://other.example.org/dir"}}}}
    other_key = {"le-account": {"data": {"tls.key": base64.b64encode(b"another key").decode()}}}
    changed = Inventory(**{**inventory.__dict__, "existing": theirs, "evercert_secrets": other_key})
    got = results(changed)
    assert got["ClusterIssuer le"] == LEFT_ALONE
    assert got["Secret evercert/le-account"] == LEFT_ALONE


def test_a_dns01_cluster_issuer_moves_with_its_credentials_copied(inventory: Inventory) -> None:
    issuer = cluster_issuer()
    rfc2136 = {
        "nameserver": "10.0.0.53",
        "tsigKeyName": "k",
        "tsigSecretSecretRef": {"name": "dns-creds", "key": "tsig"},
    }
    acme_dns = {
        "host": "https://acme-dns.example.org",
        "accountSecretRef": {"name": "dns-creds", "key": "accounts"},
    }
    issuer["spec"]["acme"]["solvers"] = [{"dns01": {"rfc2136": rfc2136}}, {"dns01": {"acmeDNS": acme_dns}}]
    tsig, accounts = base64.b64encode(b"c2VjcmV0").decode(), base64.b64encode(b"{}").decode()
    given = {**inventory.cert_manager_secrets, "dns-creds": {"data": {"tsig": tsig, "accounts": accounts}}}
    dns = Inventory(**{**inventory.__dict__, "cluster_issuers": [issuer], "cert_manager_secrets": given})
    first = plan(dns, NOW, "cert-manager", "evercert")
    rows = {
        (r.kind, r.where, r.detail.split(":")[0]): r.result for r in first.rows if r.kind != "Certificate"
    }
    assert rows[("ClusterIssuer", "le", "")] == MOVED
    assert (
        rows[("Secret", "evercert/dns-creds", "DNS-01 TSIG secret of ClusterIssuer le, from cert-manager")]
        == COPIED
    )
    copies = {b["metadata"]["name"]: b["data"] for b in first.creates if b["kind"] == "Secret"}
    assert copies["dns-creds"] == {"tsig": tsig, "accounts": accounts}  # one copy, both keys
    copied = {b["metadata"]["name"]: b for b in first.creates if b["kind"] == "Secret"}
    existing = {(b["kind"], b["metadata"].get("namespace"), b["metadata"]["name"]): b for b in first.objects}
    again = Inventory(**{**dns.__dict__, "existing": existing, "evercert_secrets": copied})
    assert plan(again, NOW, "cert-manager", "evercert").creates == ()


def test_a_missing_account_key_is_reported_as_a_new_account(inventory: Inventory) -> None:
    bare = Inventory(**{**inventory.__dict__, "cert_manager_secrets": {}})
    rows = {f"{r.kind} {r.where}": r for r in plan(bare, NOW, "cert-manager", "evercert").rows}
    assert rows["Secret evercert/le-account"].result == NOT_MOVED
    assert "a new ACME account" in rows["Secret evercert/le-account"].detail


def test_a_certificate_whose_secret_was_written_for_another_stays_behind(
    inventory: Inventory, tls_secret: Callable[..., Any]
) -> None:
    shared = tls_secret("kept", ["kept.example.org"], written_for="someone-else")
    secrets = {**inventory.secrets, ("shop", "kept-tls"): shared}
    result = plan(Inventory(**{**inventory.__dict__, "secrets": secrets}), NOW, "cert-manager", "evercert")
    row = next(r for r in result.rows if r.where == "shop/kept")
    assert row.result == NOT_MOVED and "allow-takeover" in row.detail
    assert all(b["metadata"]["name"] != "kept" for b in result.creates)


def lease(renewed: datetime, holder: str = "cm-0", seconds: int = 60) -> dict[str, Any]:
    return {
        "spec": {"holderIdentity": holder, "renewTime": renewed.isoformat(), "leaseDurationSeconds": seconds}
    }


@pytest.mark.parametrize(
    ("the_lease", "ready", "active"),
    [
        pytest.param(lease(NOW - timedelta(seconds=10)), 0, True, id="lease-renewed-recently"),
        pytest.param(lease(NOW - timedelta(minutes=5)), 0, False, id="lease-expired"),
        pytest.param(lease(NOW, holder=""), 0, False, id="lease-released"),
        pytest.param(None, 1, True, id="deployment-ready"),
        pytest.param(None, 0, False, id="scaled-down"),
    ],
)
def test_cert_managers_controller_counts_as_active_while_it_leads_or_runs(
    the_lease: dict[str, Any] | None, ready: int, active: bool
) -> None:
    deployment = {
        "metadata": {"name": "cert-manager", "namespace": "cert-manager"},
        "status": {"readyReplicas": ready},
    }
    assert bool(activity.activity(the_lease, [deployment], NOW)) is active


class RecordingApi:
    """Stands in for the core and custom APIs: records what is created, in order."""

    def __init__(self) -> None:
        self.created: list[str] = []

    def __getattr__(self, verb: str) -> Any:
        async def create(*args: Any, **_: Any) -> Any:
            body = next(a for a in args if isinstance(a, dict))
            self.created.append(body["kind"])
            return _Answer()

        return create


class _Answer:
    status = 201

    async def read(self) -> bytes:
        return b"{}"

    def release(self) -> None:
        pass


async def test_account_key_copies_are_written_before_the_issuers_that_would_register_without_them(
    inventory: Inventory,
) -> None:
    from types import SimpleNamespace

    from evercert.cli.migrate import write

    api = RecordingApi()
    await write(SimpleNamespace(core=api, custom=api), plan(inventory, NOW, "cert-manager", "evercert"))  # type: ignore[arg-type]
    assert api.created == ["Secret", "Secret", "ClusterIssuer", "Certificate", "Certificate", "Certificate"]


def test_the_report_has_a_row_per_object_and_a_count_per_result(inventory: Inventory) -> None:
    from evercert.cli.migrate import report

    text = report(plan(inventory, NOW, "cert-manager", "evercert"), dry_run=True)
    header, *rows = text.split("\n\n")[0].splitlines()
    assert header.split() == ["KIND", "NAME", "RESULT", "DETAIL"]
    assert len(rows) == 7
    summary = "1 moved, 2 copied, 1 adopted without reissue, 2 will be reissued, 1 annotated"
    assert text.endswith(f"{summary} (dry run: nothing written)")
