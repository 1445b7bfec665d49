"""Bad input: what the CRD schemas can express is refused at admission, the rest at reconcile time with a
status condition (reason + message that says what to fix) and an Event, without disturbing anything else.
"""

from __future__ import annotations

import base64
import json
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from evercert.pki import generate_private_key, private_key_to_pem
from evercert_devenv.environment import LocalEnvironment
from evercert_devenv.processes import Server

from ..support.cluster import get
from ..support.waiting import wait_for
from .helpers import (
    assert_valid_tls_secret,
    certificate,
    event_reasons,
    serial,
    tls_data,
    wait_ready,
)

# (what is wrong, the manifest's spec changes, a fragment of the apiserver's refusal)
REFUSED_CERTIFICATES = [
    ("invalid DNS name", {"dnsNames": ["bad_name.example.org"]}, "spec.dnsNames[0]"),
    ("no names at all", {"dnsNames": []}, "list at least one name"),
    ("more names than the CA allows", {"dnsNames": [f"n{i}.example.org" for i in range(101)]}, "100 items"),
    ("unknown key algorithm", {"privateKey": {"algorithm": "DSA"}}, "spec.privateKey.algorithm"),
    ("RSA key too small", {"privateKey": {"algorithm": "RSA", "size": 1024}}, "spec.privateKey.size"),
    ("ECDSA with an RSA size", {"privateKey": {"algorithm": "ECDSA", "size": 2048}}, "ECDSA keys take"),
    ("unknown issuer kind", {"issuerRef": {"name": "x", "kind": "Vault"}}, "spec.issuerRef.kind"),
    ("foreign issuer group", {"issuerRef": {"name": "x", "group": "example.com"}}, "spec.issuerRef.group"),
    ("duration in words", {"duration": "90 days"}, "spec.duration"),
    ("two renewal settings", {"renewBefore": "24h", "renewBeforePercentage": 20}, "set only one of"),
    ("renewal at 100 %", {"renewBeforePercentage": 100}, "spec.renewBeforePercentage"),
    ("invalid secretName", {"secretName": "Web_TLS"}, "spec.secretName"),
]

# (what is wrong, the manifest's spec.acme changes, a fragment of the apiserver's refusal)
REFUSED_ISSUERS = [
    ("invalid email", {"email": "not an email"}, "spec.acme.email"),
    ("server not a URL", {"server": "acme.example.org/directory"}, "spec.acme.server"),
    ("no HTTP-01 Ingress solver", {"solvers": [{"http01": {}}]}, "set one of http01"),
    ("DNS-01 solver without a provider", {"solvers": [{"dns01": {}}]}, "set exactly one of rfc2136"),
    (
        "a DNS-01 provider evercert has not",
        {"solvers": [{"dns01": {"route53": {"region": "eu-west-1"}}}]},
        'unknown field "spec.acme.solvers[0].dns01.route53"',
    ),
]


@dataclass(frozen=True)
class Case:
    """A bad input accepted at admission: the object, the reason its Ready condition must give, and
    fragments its message must hold."""

    what: str
    kind: str
    name: str
    reason: str
    fragments: tuple[str, ...]


CASES = [
    Case("IP address as a name", "certificate", "ip-name", "InvalidSpec", ("'10.0.0.1'", "IP address")),
    Case("wildcard name", "certificate", "wildcard", "InvalidSpec", ("wildcard", "HTTP-01")),
    Case("renewBefore past duration", "certificate", "renew-early", "InvalidSpec", ("shorter than",)),
    Case("duration under an hour", "certificate", "brief", "InvalidSpec", ("at least 1h",)),
    Case("unknown issuer", "certificate", "no-issuer", "IssuerNotFound", ("'nowhere'", "not found")),
    Case(
        "Issuer in another namespace", "certificate", "far-issuer", "IssuerNotFound", ("'far'", "namespace")
    ),
    Case("unreachable ACME server", "issuer", "unreachable", "ACMEServerUnreachable", ("cannot reach",)),
    Case("a Certificate of it", "certificate", "via-unreachable", "IssuerNotReady", ("cannot reach",)),
    Case("server that is not ACME", "issuer", "not-acme", "ACMEBadResponse", ("is not an ACME directory",)),
    Case("account key not a key", "issuer", "bad-key", "ACMEAccountFailed", ("account key",)),
    Case("secretName of another Certificate", "certificate", "copycat", "SecretInUse", ("'owner'",)),
    Case("Secret not made by evercert", "certificate", "intruder", "SecretNotOwned", ("allow-takeover",)),
    Case("takeover of an Opaque Secret", "certificate", "opaque", "SecretNotOwned", ("type Opaque",)),
]


def issuer(env: LocalEnvironment, name: str, namespace: str, **acme: Any) -> dict[str, Any]:
    manifest = env.cluster_issuer(name)
    manifest["kind"] = "Issuer"
    manifest["metadata"] = {"name": name, "namespace": namespace}
    manifest["spec"]["acme"].update(acme)  # type: ignore[index]
    return manifest


def secret(name: str, namespace: str, data: dict[str, bytes], **metadata: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": metadata.pop("type", "Opaque"),
        "metadata": {"name": name, "namespace": namespace, **metadata},
        "data": {k: base64.b64encode(v).decode() for k, v in data.items()},
    }


def bad_objects(env: LocalEnvironment, ns: str, elsewhere: str) -> list[dict[str, Any]]:
    """Every bad input that passes admission, at once: each must fail alone."""
    cert = certificate
    not_acme = f"https://127.0.0.1:{env.pebble.management_port}/roots/0"  # answers, but with a PEM
    return [
        cert(ns, "ip-name", ["10.0.0.1"]),
        cert(ns, "wildcard", ["*.example.org"]),
        cert(ns, "renew-early", ["early.example.org"], duration="24h", renewBefore="48h"),
        cert(ns, "brief", ["brief.example.org"], duration="30m"),
        cert(ns, "no-issuer", ["x.example.org"], issuer="nowhere"),
        issuer(env, "far", elsewhere),
        cert(ns, "far-issuer", ["far.example.org"], issuer="far", kind="Issuer"),
        issuer(env, "unreachable", ns, server="https://127.0.0.1:1/directory"),
        cert(ns, "via-unreachable", ["u.example.org"], issuer="unreachable", kind="Issuer"),
        issuer(env, "not-acme", ns, server=not_acme),
        secret("bad-key-account-key", ns, {"tls.key": b"-----BEGIN PRIVATE KEY-----\nnot a key\n"}),
        issuer(env, "bad-key", ns),
        cert(ns, "copycat", ["copycat.example.org"], secretName="owner-tls"),
        secret("intruder-tls", ns, {"config": b"someone else's"}),
        cert(ns, "intruder", ["intruder.example.org"]),
        secret("opaque-tls", ns, {"x": b"y"}, annotations={"evercert.dev/allow-takeover": "true"}),
        cert(ns, "opaque", ["opaque.example.org"]),
        secret(
            "adopted-tls",
            ns,
            {"tls.crt": b"", "tls.key": b""},
            type="kubernetes.io/tls",
            annotations={"evercert.dev/allow-takeover": "true"},
        ),
        cert(ns, "adopted", ["adopted.example.org"]),
    ]


@dataclass(frozen=True)
class BadNamespace:
    name: str
    owner_serial: int
    intruder_version: str
    log_offset: int  # where the operator's log stood before the bad input arrived


@pytest.fixture(scope="module")
def bad(env: LocalEnvironment, operator: Server) -> Iterator[BadNamespace]:
    """A namespace holding a good Certificate ("owner") and then every bad input at once."""
    ns, elsewhere = f"bad-{uuid.uuid4().hex[:6]}", f"far-{uuid.uuid4().hex[:6]}"
    for name in (ns, elsewhere):
        env.controlplane.kubectl("create", "namespace", name)
    env.apply(certificate(ns, "owner", ["owner.example.org"]))
    wait_ready(env, ns, "owner", process=operator)
    log_offset = operator.log_path.stat().st_size
    for manifest in bad_objects(env, ns, elsewhere):
        env.apply(manifest)
    intruder = get(env, "secret", ns, "intruder-tls") or {}
    owner_serial = serial(tls_data(env, ns, "owner-tls")[0])
    yield BadNamespace(ns, owner_serial, intruder["metadata"]["resourceVersion"], log_offset)
    for name in (ns, elsewhere):
        env.controlplane.kubectl("delete", "namespace", name, "--wait=false")


def ready_condition(env: LocalEnvironment, kind: str, namespace: str, name: str) -> dict[str, Any]:
    conditions = ((get(env, kind, namespace, name) or {}).get("status") or {}).get("conditions") or []
    return next((c for c in conditions if c["type"] == "Ready"), {})


@pytest.mark.parametrize(
    ("what", "change", "refusal"), REFUSED_CERTIFICATES, ids=[c[0] for c in REFUSED_CERTIFICATES]
)
def test_certificates_the_schema_can_refuse_are_refused_at_admission(
    env: LocalEnvironment, namespace: str, what: str, change: dict[str, Any], refusal: str
) -> None:
    manifest = certificate(namespace, "refused", ["ok.example.org"])
    manifest["spec"].update(change)
    with pytest.raises(subprocess.CalledProcessError) as refused:
        env.apply(manifest)
    assert refusal in refused.value.stderr
    assert get(env, "certificate", namespace, "refused") is None


@pytest.mark.parametrize(("what", "change", "refusal"), REFUSED_ISSUERS, ids=[c[0] for c in REFUSED_ISSUERS])
def test_issuers_the_schema_can_refuse_are_refused_at_admission(
    env: LocalEnvironment, namespace: str, what: str, change: dict[str, Any], refusal: str
) -> None:
    with pytest.raises(subprocess.CalledProcessError) as refused:
        env.apply(issuer(env, "refused", namespace, **change))
    assert refusal in refused.value.stderr


@pytest.mark.parametrize("case", CASES, ids=[c.what for c in CASES])
def test_bad_input_is_reported_in_status_and_an_event(
    env: LocalEnvironment, operator: Server, bad: BadNamespace, case: Case
) -> None:
    wait_for(
        lambda: ready_condition(env, case.kind, bad.name, case.name).get("reason") == case.reason,
        30,
        f"{case.kind} {case.name} Ready=False with reason {case.reason}",
        operator,
    )
    ready = ready_condition(env, case.kind, bad.name, case.name)
    assert ready["status"] == "False"
    for fragment in case.fragments:
        assert fragment in ready["message"]
    wait_for(lambda: case.reason in event_reasons(env, bad.name, case.name), 30, "a Warning Event")


def test_a_foreign_secret_is_left_untouched(env: LocalEnvironment, bad: BadNamespace) -> None:
    intruder = get(env, "secret", bad.name, "intruder-tls") or {}
    assert intruder["metadata"]["resourceVersion"] == bad.intruder_version
    assert base64.b64decode(intruder["data"]["config"]) == b"someone else's"


def test_a_secret_that_opts_in_is_taken_over(
    env: LocalEnvironment, operator: Server, bad: BadNamespace
) -> None:
    wait_ready(env, bad.name, "adopted", process=operator)
    assert_valid_tls_secret(env, bad.name, "adopted-tls", ["adopted.example.org"])


def test_a_secret_edited_by_hand_is_repaired(env: LocalEnvironment, operator: Server, namespace: str) -> None:
    env.apply(certificate(namespace, "edited", ["edited.example.org"]))
    wait_ready(env, namespace, "edited", process=operator)
    stranger = private_key_to_pem(generate_private_key("RSA", 2048))
    patch = {"data": {"tls.key": base64.b64encode(stranger).decode()}}
    env.controlplane.kubectl("patch", "secret", "edited-tls", "-n", namespace, "-p", _json(patch))
    wait_for(
        lambda: tls_data(env, namespace, "edited-tls")[1] != stranger, 30, "the Secret repaired", operator
    )
    wait_ready(env, namespace, "edited", process=operator)
    assert_valid_tls_secret(env, namespace, "edited-tls", ["edited.example.org"])
    assert "Issuing" in event_reasons(env, namespace, "edited")


def test_bad_input_disturbs_neither_the_operator_nor_other_certificates(
    env: LocalEnvironment, operator: Server, bad: BadNamespace
) -> None:
    """Run last in this module: everything above has been tried by now."""
    assert operator.running()
    wait_ready(env, bad.name, "owner", process=operator)
    assert serial(tls_data(env, bad.name, "owner-tls")[0]) == bad.owner_serial
    env.apply(certificate(bad.name, "newcomer", ["newcomer.example.org"]))
    wait_ready(env, bad.name, "newcomer", process=operator)
    with operator.log_path.open() as log:
        log.seek(bad.log_offset)
        written = log.read()
    assert "failed with an exception" not in written and "Traceback" not in written


def test_an_ingress_with_tls_but_no_hosts_gets_an_event_and_no_certificate(
    env: LocalEnvironment, operator: Server, namespace: str
) -> None:
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "hostless",
            "namespace": namespace,
            "annotations": {"evercert.dev/cluster-issuer": "local-pebble"},
        },
        "spec": {
            "tls": [{"secretName": "hostless-tls"}],
            "rules": [{"http": {"paths": [_path("/")]}}],
        },
    }
    env.apply(ingress)
    wait_for(lambda: "InvalidIngress" in event_reasons(env, namespace, "hostless"), 30, "an Event", operator)
    message = env.controlplane.kubectl(
        "get", "events", "-n", namespace, "--field-selector", "involvedObject.name=hostless",
        "-o", "jsonpath={.items[*].message}",
    )  # fmt: skip
    assert "lists no hosts" in message
    assert not env.controlplane.kubectl("get", "certificates", "-n", namespace, "-o", "name").strip()


def _path(path: str) -> dict[str, Any]:
    backend = {"service": {"name": "web", "port": {"number": 80}}}
    return {"path": path, "pathType": "Prefix", "backend": backend}


def _json(data: Any) -> str:
    return json.dumps(data)
