"""`helm install` into the real apiserver, the operator under the chart's RBAC, `kubectl apply` of the
examples and of the plain-manifest install."""

from __future__ import annotations

import copy
import json
import subprocess
import urllib.request
import uuid
from collections.abc import Iterator

import pytest

from evercert_devenv.binaries import REPO
from evercert_devenv.environment import LocalEnvironment

from ..integration.helpers import assert_valid_tls_secret, wait_ready
from ..support.chart import (
    RELEASE_NAMESPACE,
    ChartOperator,
    Release,
    audit_events,
    forbidden_requests,
    permission_errors,
)
from ..support.cluster import get

EXAMPLES = REPO / "deploy" / "examples"
CRDS = ("certificates.evercert.dev", "issuers.evercert.dev", "clusterissuers.evercert.dev")


def test_helm_install_creates_the_crds_the_service_account_and_the_deployment(
    env: LocalEnvironment, release: Release
) -> None:
    for name in CRDS:
        crd = get(env, "crd", None, name)
        assert crd is not None, f"CRD {name} not installed"
        established = [c for c in crd["status"]["conditions"] if c["type"] == "Established"]
        assert established[0]["status"] == "True"
    assert get(env, "serviceaccount", RELEASE_NAMESPACE, "evercert") is not None
    deployment = get(env, "deployment", RELEASE_NAMESPACE, "evercert")
    assert deployment is not None and deployment["spec"]["replicas"] == 1
    assert "STATUS: deployed" in release.output
    notes = release.output.split("NOTES:", 1)[1]
    assert "evercert.dev/cluster-issuer" in notes and "kubectl get certificates" in notes


@pytest.fixture
def restricted_namespace(env: LocalEnvironment) -> Iterator[str]:
    name = f"restricted-{uuid.uuid4().hex[:6]}"
    env.controlplane.kubectl("create", "namespace", name)
    env.controlplane.kubectl("label", "namespace", name, "pod-security.kubernetes.io/enforce=restricted")
    yield name
    env.controlplane.kubectl("delete", "namespace", name, "--wait=false")


def test_the_operator_pod_is_admitted_where_the_restricted_standard_is_enforced(
    env: LocalEnvironment, release: Release, restricted_namespace: str
) -> None:
    template = release.find("Deployment")["spec"]["template"]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "evercert"}, "spec": template["spec"]}
    create = ("create", "--dry-run=server", "-n", restricted_namespace, "-f", "-")
    env.controlplane.kubectl(*create, input=json.dumps(pod))
    privileged = copy.deepcopy(pod)  # the control: the same Pod, less strict, is refused
    privileged["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = True
    with pytest.raises(subprocess.CalledProcessError) as refused:
        env.controlplane.kubectl(*create, input=json.dumps(privileged))
    assert "violates PodSecurity" in refused.value.stderr


def test_the_liveness_probe_answers(chart_operator: ChartOperator) -> None:
    with urllib.request.urlopen(chart_operator.liveness_url, timeout=5) as response:
        assert response.status == 200


def test_the_lets_encrypt_and_pebble_examples_are_accepted_by_the_apiserver(
    env: LocalEnvironment, release: Release
) -> None:
    """Dry run: the real objects would register accounts with Let's Encrypt over the internet."""
    for example in (
        "clusterissuer-letsencrypt-staging.yaml",
        "clusterissuer-letsencrypt-production.yaml",
        "issuer-letsencrypt-staging.yaml",
        "clusterissuer-pebble.yaml",
        "ingress.yaml",
    ):
        out = env.controlplane.kubectl("apply", "--dry-run=server", "-f", str(EXAMPLES / example))
        assert "(server dry run)" in out, out


def test_the_certificate_example_is_issued(env: LocalEnvironment, chart_operator: ChartOperator) -> None:
    out = env.controlplane.kubectl("apply", "-f", str(EXAMPLES / "certificate.yaml"))
    assert "certificate.evercert.dev/www-example created" in out
    wait_ready(env, "default", "www-example", process=chart_operator.process)
    assert_valid_tls_secret(env, "default", "www-example-tls", ["www.example.org", "example.org"])
    env.controlplane.kubectl("delete", "-f", str(EXAMPLES / "certificate.yaml"))


def test_the_plain_manifest_install_is_accepted_by_the_apiserver(
    env: LocalEnvironment, release: Release
) -> None:
    # --force-conflicts: the chart's release owns the same cluster-wide objects here, for another namespace.
    out = env.controlplane.kubectl(
        "apply",
        "--server-side",
        "--force-conflicts",
        "--dry-run=server",
        "-f",
        str(REPO / "deploy" / "install.yaml"),
    )
    assert "deployment.apps/evercert serverside-applied (server dry run)" in out, out


def test_the_operator_was_never_refused_a_request(
    env: LocalEnvironment, chart_operator: ChartOperator
) -> None:
    requests = audit_events(env, chart_operator.release.service_account_user)
    decisions = {(e.get("annotations") or {}).get("authorization.k8s.io/decision") for e in requests}
    assert "allow" in decisions, "the audit log does not show the chart's ServiceAccount's requests"
    assert forbidden_requests(env, chart_operator.release) == []
    assert permission_errors(chart_operator.process.log_path) == []
