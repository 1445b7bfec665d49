"""Reading what the operator wrote: Secrets, chains, solver objects."""

from __future__ import annotations

import base64
from typing import Any

from cryptography import x509

from evercert.pki import chain_verifies, key_matches_certificate
from evercert_devenv.environment import LocalEnvironment

from ..support.cluster import condition, get
from ..support.waiting import wait_for

SOLVER_KINDS = ("pods", "services", "ingresses", "httproutes")


def certificate(
    namespace: str,
    name: str,
    names: list[str],
    issuer: str = "local-pebble",
    kind: str = "ClusterIssuer",
    **spec: Any,
) -> dict[str, Any]:
    return {
        "apiVersion": "evercert.dev/v1",
        "kind": "Certificate",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "secretName": f"{name}-tls",
            "dnsNames": names,
            "issuerRef": {"name": issuer, "kind": kind},
            **spec,
        },
    }


def tls_data(env: LocalEnvironment, namespace: str, secret_name: str) -> tuple[bytes, bytes]:
    secret = get(env, "secret", namespace, secret_name)
    assert secret is not None, f"Secret {secret_name} missing"
    data = secret["data"]
    return base64.b64decode(data["tls.crt"]), base64.b64decode(data["tls.key"])


def serial(chain_pem: bytes) -> int:
    return x509.load_pem_x509_certificates(chain_pem)[0].serial_number


def wait_ready(
    env: LocalEnvironment, namespace: str, name: str, timeout: float = 90, process: Any = None
) -> None:
    wait_for(
        lambda: condition(env, "certificate", namespace, name, "Ready") == "True",
        timeout,
        f"Certificate {namespace}/{name} Ready",
        process,
    )


def assert_valid_tls_secret(
    env: LocalEnvironment, namespace: str, secret_name: str, names: list[str]
) -> None:
    chain, key = tls_data(env, namespace, secret_name)
    assert key_matches_certificate(key, chain)
    root = env.pebble.root_pem()
    for name in names:
        assert chain_verifies(chain, root, name), f"chain does not verify for {name}"


def solver_objects(env: LocalEnvironment, namespace: str) -> list[str]:
    out = env.controlplane.kubectl(
        "get", ",".join(SOLVER_KINDS), "-n", namespace, "-l", "evercert.dev/http01-solver=true", "-o", "name"
    )
    return out.split()


def event_reasons(env: LocalEnvironment, namespace: str, name: str) -> list[str]:
    """The reasons of the Events about the object `name` in `namespace`, oldest first."""
    out = env.controlplane.kubectl(
        "get",
        "events",
        "-n",
        namespace,
        "--field-selector",
        f"involvedObject.name={name}",
        "--sort-by=.metadata.creationTimestamp",
        "-o",
        "jsonpath={.items[*].reason}",
    )
    return out.split()


def read_table(text: str) -> list[dict[str, str]]:
    """The rows of a `kubectl get`-style table, cut where the header's columns start (cells hold spaces)."""
    header, *lines = text.splitlines()
    starts = [
        index for index, char in enumerate(header) if char != " " and (index == 0 or header[index - 1] == " ")
    ]
    bounds = list(zip(starts, [*starts[1:], None], strict=True))
    return [{header[a:b].strip(): line[a:b].strip() for a, b in bounds} for line in lines]
