"""`kubectl evercert migrate` from cert-manager: its CRDs from its Go module, an ACME account and
certificates from Pebble, Secrets as cert-manager v1.21 writes them (tests/support/cert_manager.py).

A Pebble of its own, behind a counting proxy, requires EAB and validates nothing: the certificates
cert-manager would have issued need no solver, and what evercert asks of the CA is counted."""

from __future__ import annotations

import base64
import datetime
import json
import secrets
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography import x509

from evercert.acme.client import connect
from evercert.acme.order import create_order
from evercert.acme.renewal_info import ari_cert_id
from evercert.acme.settings import AccountSettings
from evercert.core.errors import AcmeFailure
from evercert.pki import parse_pem_chain
from evercert_devenv.binaries import cert_manager_crds
from evercert_devenv.environment import CLUSTER_RESOURCE_NAMESPACE, LocalEnvironment, python_path_env
from evercert_devenv.pebble import Pebble
from evercert_devenv.processes import Server

from ..support import acme_requests
from ..support.cert_manager import Account, controller_lease, key_secret, tls_secret
from ..support.cluster import condition, get, start_operator_with_issuer
from ..support.waiting import wait_for
from .caproxy import CaProxy
from .helpers import event_reasons, tls_data

CERT_MANAGER_NAMESPACE = "cert-manager"
KEY_ID = "kid-1"
CERT_MANAGER_KINDS = "certificates.cert-manager.io,issuers.cert-manager.io,clusterissuers.cert-manager.io"
CERTIFICATES = "certificates.evercert.dev"
Migrate = Callable[..., subprocess.CompletedProcess[str]]


@dataclass
class Ca:
    pebble: Pebble
    proxy: CaProxy
    hmac: str

    def account(self) -> Account:
        return Account.register(
            self.proxy.directory_url, str(self.pebble.ca_bundle_path), (KEY_ID, self.hmac)
        )

    def acme(self, solvers: list[dict[str, Any]], account_secret: str, eab_secret: str) -> dict[str, Any]:
        """cert-manager's spec.acme for this CA."""
        return {
            "server": self.proxy.directory_url,
            "email": "ops@example.org",
            "profile": "default",
            "caBundle": base64.b64encode(self.pebble.ca.cert_pem).decode(),
            "privateKeySecretRef": {"name": account_secret},
            "externalAccountBinding": {
                "keyID": KEY_ID,
                "keySecretRef": {"name": eab_secret, "key": "secret"},
            },
            "solvers": solvers,
        }


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEnvironment]:
    """A control plane of this module's own: with cert-manager's CRDs, `kubectl get certificate` means
    cert-manager's, and they go with the environment instead of being deleted under a running operator."""
    with LocalEnvironment(tmp_path_factory.mktemp("migration-env")) as environment:
        yield environment


@pytest.fixture(scope="module")
def operator(env: LocalEnvironment) -> Iterator[Server]:
    process = start_operator_with_issuer(env)
    yield process
    process.stop()


@pytest.fixture(scope="module")
def ca(env: LocalEnvironment, operator: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ca]:
    env.controlplane.kubectl("apply", "--server-side", "-f", str(cert_manager_crds()))
    env.controlplane.kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
    env.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": CERT_MANAGER_NAMESPACE}})
    wait_for(lambda: _served(env, CERT_MANAGER_KINDS), 30, "cert-manager's kinds served")
    hmac = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    pebble = Pebble(
        tmp_path_factory.mktemp("migration-ca"),
        ca=env.pebble.ca,
        http01_port=env.pebble.http01_port,
        eab_required=True,
        eab_mac_keys={KEY_ID: hmac},
        extra_env={"PEBBLE_VA_ALWAYS_VALID": "1"},
    )
    pebble.start()
    proxy = CaProxy(pebble, pebble.ca)
    yield Ca(pebble, proxy, hmac)
    proxy.stop()
    pebble.stop()


@pytest.fixture
def migrate(env: LocalEnvironment) -> Migrate:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        environment = {**python_path_env(), "KUBECONFIG": str(env.kubeconfig), "PATH": "/usr/bin:/bin"}
        command = [sys.executable, "-m", "evercert", "migrate", *args]
        return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=120)

    return run


@pytest.fixture
def lease(env: LocalEnvironment) -> Iterator[Callable[[str], None]]:
    def held_by(holder: str) -> None:
        env.apply(controller_lease(datetime.datetime.now(datetime.UTC), holder))

    yield held_by
    env.controlplane.kubectl(
        "delete", "lease", "cert-manager-controller", "-n", "kube-system", "--ignore-not-found"
    )


def _served(env: LocalEnvironment, kinds: str) -> bool:
    """A CRD is Established before the apiserver's storage for it is ready ("(re)initializing")."""
    try:
        env.controlplane.kubectl("get", kinds, "-A")
    except subprocess.CalledProcessError:
        return False
    return True


def cert_manager(kind: str, name: str, spec: dict[str, Any], namespace: str | None = None) -> dict[str, Any]:
    metadata = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": "cert-manager.io/v1", "kind": kind, "metadata": metadata, "spec": spec}


def cluster_issuer_of_cert_manager(env: LocalEnvironment, ca: Ca, name: str) -> Account:
    """A ClusterIssuer with EAB, an Ingress solver and an rfc2136 one, its account registered, its Secrets in
    cert-manager's cluster-resource namespace."""
    account = ca.account()
    env.apply(key_secret(CERT_MANAGER_NAMESPACE, f"{name}-account", "tls.key", account.key_pem))
    env.apply(key_secret(CERT_MANAGER_NAMESPACE, f"{name}-eab", "secret", ca.hmac.encode()))
    env.apply(key_secret(CERT_MANAGER_NAMESPACE, f"{name}-tsig", "secret", base64.b64encode(b"tsig key")))
    rfc2136 = {
        "nameserver": "127.0.0.1:53",
        "tsigKeyName": "evercert.",
        "tsigAlgorithm": "HMACSHA256",
        "tsigSecretSecretRef": {"name": f"{name}-tsig", "key": "secret"},
    }
    # DNS-01 for a zone no test asks for: the issuer moves with it, its TSIG Secret copied too.
    solvers = [
        {"selector": {"dnsZones": ["dns01.invalid"]}, "dns01": {"rfc2136": rfc2136}},
        {"http01": {"ingress": {"ingressClassName": "local"}}},
    ]
    env.apply(
        cert_manager("ClusterIssuer", name, {"acme": ca.acme(solvers, f"{name}-account", f"{name}-eab")})
    )
    return account


def certificate_of_cert_manager(
    env: LocalEnvironment,
    namespace: str,
    name: str,
    issuer: tuple[str, str],
    account: Account,
    names: list[str],
    issued_for: list[str] | None = None,
    profile: str = "default",
) -> bytes:
    """A Certificate and the Secret cert-manager wrote for it (for `issued_for` names, if they differ)."""
    ref = {"name": issuer[0], "kind": issuer[1], "group": "cert-manager.io"}
    env.apply(
        cert_manager(
            "Certificate", name, {"secretName": f"{name}-tls", "dnsNames": names, "issuerRef": ref}, namespace
        )
    )
    chain, key = account.issue(issued_for or names, profile)
    env.apply(tls_secret(namespace, f"{name}-tls", name, issuer, chain, key))
    return chain


def evercert_objects(env: LocalEnvironment, namespace: str, cluster_issuer: str) -> list[str]:
    names = env.controlplane.kubectl(
        "get", "certificates.evercert.dev,issuers.evercert.dev", "-n", namespace, "-o", "name"
    ).split()
    cluster = env.controlplane.kubectl("get", "clusterissuers.evercert.dev", "-o", "name").split()
    copied = get(env, "secret", CLUSTER_RESOURCE_NAMESPACE, f"{cluster_issuer}-account")
    return (
        names
        + [n for n in cluster if n.endswith(f"/{cluster_issuer}")]
        + (["account key copy"] if copied else [])
    )


def versions(env: LocalEnvironment, namespace: str) -> dict[str, str]:
    listed = json.loads(
        env.controlplane.kubectl(
            "get", "certificates.evercert.dev,issuers.evercert.dev,secrets", "-n", namespace, "-o", "json"
        )
    )
    return {f"{i['kind']}/{i['metadata']['name']}": i["metadata"]["resourceVersion"] for i in listed["items"]}


def wait_ready(env: LocalEnvironment, namespace: str, name: str, process: Server) -> None:
    """Named with its group: cert-manager's CRDs make `certificate` ambiguous here."""
    wait_for(
        lambda: condition(env, CERTIFICATES, namespace, name, "Ready") == "True", 90, f"{name} Ready", process
    )


def adopted_rows(report: str) -> int:
    return sum(
        line.startswith("Certificate") and "adopted without reissue" in line for line in report.splitlines()
    )


def new_orders(proxy: CaProxy, since: int) -> int:
    return acme_requests.breakdown(proxy.requests()[since:])["POST newOrder"]


def test_a_fleet_moves_with_no_new_order_and_no_new_account(
    env: LocalEnvironment,
    operator: Server,
    namespace: str,
    ca: Ca,
    migrate: Migrate,
    lease: Callable[[str], None],
) -> None:
    cluster_issuer = f"le-{uuid.uuid4().hex[:6]}"
    cluster_account = cluster_issuer_of_cert_manager(env, ca, cluster_issuer)
    namespace_account = ca.account()
    env.apply(key_secret(namespace, "shop-account", "tls.key", namespace_account.key_pem))
    env.apply(key_secret(namespace, "shop-eab", "secret", ca.hmac.encode()))
    gateway = [{"http01": {"gatewayHTTPRoute": {"parentRefs": [{"name": "web", "namespace": namespace}]}}}]
    env.apply(
        cert_manager("Issuer", "shop", {"acme": ca.acme(gateway, "shop-account", "shop-eab")}, namespace)
    )
    chains = {
        "web": certificate_of_cert_manager(
            env,
            namespace,
            "web",
            (cluster_issuer, "ClusterIssuer"),
            cluster_account,
            [f"web.{namespace}.example.org"],
        ),
        "api": certificate_of_cert_manager(
            env, namespace, "api", ("shop", "Issuer"), namespace_account, [f"api.{namespace}.example.org"]
        ),
    }

    lease("cert-manager-7d9f8-abcde")
    refused = migrate("-n", namespace)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "cert-manager's controller is active" in refused.stderr and "--force" in refused.stderr
    assert evercert_objects(env, namespace, cluster_issuer) == []

    lease("")  # released, as cert-manager's controller does when it stops
    dry = migrate("-n", namespace, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert adopted_rows(dry.stdout) == 2, dry.stdout
    assert "nothing written" in dry.stdout
    assert evercert_objects(env, namespace, cluster_issuer) == []

    before = len(ca.proxy.requests())
    moved = migrate("-n", namespace)
    assert moved.returncode == 0, moved.stderr
    print(moved.stdout)
    assert adopted_rows(moved.stdout) == 2 and "copied" in moved.stdout, moved.stdout
    for name in chains:
        wait_ready(env, namespace, name, process=operator)
        wait_for(
            lambda name=name: (
                _annotation(env, namespace, f"{name}-tls", "evercert.dev/certificate-name") == name
            ),
            30,
            f"{name}-tls adopted",
            operator,
        )
        assert tls_data(env, namespace, f"{name}-tls")[0] == chains[name]  # not rewritten
        assert _annotation(env, namespace, f"{name}-tls", "cert-manager.io/certificate-name") == name  # kept
        assert "Adopted" in event_reasons(env, namespace, name)
    assert new_orders(ca.proxy, before) == 0
    assert get(env, "secret", CLUSTER_RESOURCE_NAMESPACE, f"{cluster_issuer}-tsig")  # DNS-01's, copied
    assert _account_uri(env, "clusterissuers.evercert.dev", None, cluster_issuer) == cluster_account.uri
    assert _account_uri(env, "issuers.evercert.dev", namespace, "shop") == namespace_account.uri

    settled = versions(env, namespace)
    again = migrate("-n", namespace)
    assert again.returncode == 0, again.stderr
    assert "0 object(s) created" in again.stdout, again.stdout
    assert versions(env, namespace) == settled


def test_a_secret_that_no_longer_matches_is_reissued_and_a_due_one_renews_with_replaces(
    env: LocalEnvironment, operator: Server, namespace: str, ca: Ca, migrate: Migrate
) -> None:
    cluster_issuer = f"le-{uuid.uuid4().hex[:6]}"
    account = cluster_issuer_of_cert_manager(env, ca, cluster_issuer)
    issuer = (cluster_issuer, "ClusterIssuer")
    names = [f"stale.{namespace}.example.org"]
    stale = certificate_of_cert_manager(
        env, namespace, "stale", issuer, account, names, issued_for=[f"old.{namespace}.example.org"]
    )
    # Pebble's 30 s profile: the CA's renewal window (ARI) has begun by the time evercert looks.
    due = certificate_of_cert_manager(
        env, namespace, "due", issuer, account, [f"due.{namespace}.example.org"], profile="shortlived"
    )

    moved = migrate("-n", namespace)
    assert moved.returncode == 0, moved.stderr
    stale_row = next(line for line in moved.stdout.splitlines() if f"{namespace}/stale" in line)
    assert "will be reissued" in stale_row and "does not cover" in stale_row, moved.stdout

    for name, old in (("stale", stale), ("due", due)):
        wait_for(
            lambda name=name, old=old: _serial(env, namespace, f"{name}-tls") != _serial_of(old),
            90,
            f"{name} reissued",
            operator,
        )
        wait_ready(env, namespace, name, process=operator)
    assert _annotation(env, namespace, "stale-tls", "cert-manager.io/certificate-name") == "stale"

    # Pebble marks a certificate replaced only when an order's `replaces` named it.
    leaf = parse_pem_chain(due)[0]
    with pytest.raises(AcmeFailure) as caught:
        settings = AccountSettings(ca.proxy.directory_url, verify=str(ca.pebble.ca_bundle_path))
        client = connect(settings, account.key_pem, account.uri)
        create_order(client, _csr(account, f"due.{namespace}.example.org"), replaces=ari_cert_id(leaf))
    assert "alreadyReplaced" in caught.value.message


def _csr(account: Account, name: str) -> bytes:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(account.key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM)


def _annotation(env: LocalEnvironment, namespace: str, secret: str, key: str) -> str | None:
    body = get(env, "secret", namespace, secret) or {}
    return ((body.get("metadata") or {}).get("annotations") or {}).get(key)


def _account_uri(env: LocalEnvironment, kind: str, namespace: str | None, name: str) -> str | None:
    body = wait_for(
        lambda: ((get(env, kind, namespace, name) or {}).get("status") or {}).get("acme"),
        30,
        f"{kind} {name} registered",
    )
    return body.get("uri")


def _serial(env: LocalEnvironment, namespace: str, secret: str) -> int:
    return _serial_of(tls_data(env, namespace, secret)[0])


def _serial_of(chain: bytes) -> int:
    return parse_pem_chain(chain)[0].serial_number
