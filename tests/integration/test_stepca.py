"""A second ACME CA, smallstep's step-ca: it has neither ARI nor profiles, and evercert must not mind."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from evercert.pki import chain_verifies, key_matches_certificate
from evercert_devenv.dns import ZONE
from evercert_devenv.environment import LocalEnvironment
from evercert_devenv.processes import Server
from evercert_devenv.stepca import StepCA

from ..support.cluster import condition, get
from ..support.waiting import wait_for
from .helpers import certificate, event_reasons, serial, tls_data, wait_ready

ISSUER = "local-step-ca"


@pytest.fixture(scope="module")
def stepca(env: LocalEnvironment, operator: Server) -> Iterator[StepCA]:
    """step-ca validating HTTP-01 where Pebble does (Traefik), asking the test bed's DNS server (BIND:
    the DNS-01 zones, every other name forwarded to pebble-challtestsrv), and its ClusterIssuer: HTTP-01,
    and DNS-01 (RFC 2136 to BIND) for names in BIND's zone."""
    ca = StepCA(env.workdir / "step-ca", http01_port=env.pebble.http01_port, resolver=env.bind.address)
    ca.start()
    env.apply(
        {
            "apiVersion": "evercert.dev/v1",
            "kind": "ClusterIssuer",
            "metadata": {"name": ISSUER},
            "spec": {
                "acme": {
                    "server": ca.directory_url,
                    "email": "admin@example.org",
                    "privateKeySecretRef": {"name": f"{ISSUER}-account-key"},
                    "caBundle": ca.ca_bundle,
                    "solvers": [
                        {"http01": {"ingress": {"ingressClassName": "local"}}},
                        {"selector": {"dnsZones": [ZONE]}, "dns01": {"rfc2136": env.rfc2136()}},
                    ],
                }
            },
        }
    )
    wait_for(
        lambda: condition(env, "clusterissuer", None, ISSUER, "Ready") == "True",
        60,
        "step-ca issuer",
        operator,
    )
    yield ca
    env.controlplane.kubectl("delete", "clusterissuer", ISSUER, "--ignore-not-found")
    ca.stop()


def requested_paths(ca: StepCA) -> list[str]:
    """The paths of the requests step-ca logged (its text logger writes `path=...` per request)."""
    log = (ca.workdir / "step-ca.log").read_text(errors="replace")
    return re.findall(r'path="?([^"\s]+)', log)


def test_issues_and_renews_against_step_ca_without_renewal_information(
    env: LocalEnvironment, operator: Server, stepca: StepCA, namespace: str
) -> None:
    name = f"step.{namespace}.example.org"
    env.apply(certificate(namespace, "step", [name], issuer=ISSUER))
    wait_ready(env, namespace, "step", process=operator)
    chain, key = tls_data(env, namespace, "step-tls")
    assert key_matches_certificate(key, chain)
    assert chain_verifies(chain, stepca.root_pem, name)
    first = serial(chain)

    subprocess.run(
        [sys.executable, "-m", "evercert", "renew", "step", "-n", namespace],
        check=True,
        env={**os.environ, **env.operator_env()},
        capture_output=True,
    )
    wait_for(lambda: serial(tls_data(env, namespace, "step-tls")[0]) != first, 60, "renewal", operator)
    wait_ready(env, namespace, "step", process=operator)
    chain, key = tls_data(env, namespace, "step-tls")
    assert chain_verifies(chain, stepca.root_pem, name) and key_matches_certificate(key, chain)

    status = (get(env, "certificate", namespace, "step") or {})["status"]
    assert status["revision"] == 2
    assert not (status.get("renewalInfo") or {}).get("windowStart"), "step-ca has no ARI window to give"
    warnings = env.controlplane.kubectl(
        "get",
        "events",
        "-n",
        namespace,
        "--field-selector",
        "involvedObject.name=step,type=Warning",
        "-o",
        "name",
    )
    assert not warnings.strip(), f"Warning Events: {warnings}\n{event_reasons(env, namespace, 'step')}"
    paths = requested_paths(stepca)
    assert any("/new-order" in path for path in paths), "step-ca's log shows no requests"
    assert not [path for path in paths if "renewal" in path.lower()], "an ARI request reached step-ca"


def test_a_wildcard_through_dns01_from_step_ca(
    env: LocalEnvironment, operator: Server, stepca: StepCA, namespace: str
) -> None:
    apex = f"{namespace}.{ZONE}"
    env.apply(certificate(namespace, "wild", [f"*.{apex}", apex], issuer=ISSUER))
    wait_ready(env, namespace, "wild", process=operator)
    chain, key = tls_data(env, namespace, "wild-tls")
    assert key_matches_certificate(key, chain)
    assert chain_verifies(chain, stepca.root_pem, f"www.{apex}") and chain_verifies(
        chain, stepca.root_pem, apex
    )
    wait_for(lambda: not [r for r in env.bind.txt_records() if namespace in r], 30, "TXT values removed")
