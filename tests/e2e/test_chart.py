"""The Helm chart as the real helm renders it: lint, CRDs, plain manifests, security, RBAC, values."""

from __future__ import annotations

import filecmp
import os
import subprocess
from typing import Any

import pytest
import yaml

from evercert.api.issuer import parse_issuer
from evercert.settings import Settings
from evercert_devenv.binaries import REPO, binary

CHART = REPO / "deploy" / "helm" / "evercert"
CRDS = REPO / "deploy" / "crds"
NAMESPACE = "evercert-system"


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([binary("helm"), *args], capture_output=True, text=True)


def render(*sets: str) -> list[dict[str, Any]]:
    """The chart's objects for the given `--set` values."""
    args = [arg for value in sets for arg in ("--set", value)]
    result = helm("template", "evercert", str(CHART), "--namespace", NAMESPACE, *args)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def only(objects: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    (found,) = [o for o in objects if o["kind"] == kind and name in (None, o["metadata"]["name"])]
    return found


def container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    (operator,) = only(objects, "Deployment")["spec"]["template"]["spec"]["containers"]
    return dict(operator)


def env_of(objects: list[dict[str, Any]]) -> dict[str, str]:
    """The container's plain values (those from the downward API: see the test of POD_NAME)."""
    return {e["name"]: e["value"] for e in container(objects)["env"] if "value" in e}


def test_the_charts_crds_are_byte_identical_to_deploy_crds() -> None:
    names = sorted(p.name for p in CRDS.glob("*.yaml"))
    assert names == sorted(p.name for p in (CHART / "crds").glob("*.yaml"))
    _, mismatch, errors = filecmp.cmpfiles(CRDS, CHART / "crds", names, shallow=False)
    assert (mismatch, errors) == ([], []), "run hack/render-manifests.sh to copy deploy/crds into the chart"


def test_helm_lint_strict_is_clean() -> None:
    result = helm("lint", "--strict", str(CHART))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[WARNING]" not in result.stdout and "[ERROR]" not in result.stdout


def test_the_plain_manifest_install_is_a_fresh_render_of_the_chart() -> None:
    result = subprocess.run(
        ["bash", str(REPO / "hack" / "render-manifests.sh"), "--stdout"],
        capture_output=True,
        text=True,
        env={**os.environ, "HELM": binary("helm")},
    )
    assert result.returncode == 0, result.stderr
    committed = (REPO / "deploy" / "install.yaml").read_text()
    assert result.stdout == committed, "deploy/install.yaml is stale: run hack/render-manifests.sh"
    kinds = [doc["kind"] for doc in yaml.safe_load_all(committed) if doc]
    assert kinds.count("CustomResourceDefinition") == 3 and kinds[0] == "Namespace"


def test_the_operator_pod_meets_the_restricted_pod_security_standard() -> None:
    objects = render()
    pod = only(objects, "Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    security = container(objects)["securityContext"]
    assert security == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }


def test_the_operator_runs_with_kopfs_liveness_endpoint_as_its_probes() -> None:
    operator = container(render())
    assert operator["args"] == ["run", "--liveness=http://0.0.0.0:8080/healthz"]
    assert operator["ports"][0]["containerPort"] == 8080
    for probe in ("livenessProbe", "readinessProbe"):
        assert operator[probe]["httpGet"] == {"path": "/healthz", "port": "healthz"}
    assert operator["resources"]["requests"] and operator["resources"]["limits"]["memory"]


def test_the_environment_is_what_the_operator_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    objects = render(
        "image.tag=1.2.3",
        "watchNamespaces={shop,blog}",
        "logLevel=DEBUG",
        "logFormat=text",
        "ingressShim.certManagerAnnotations=true",
        "ingressShim.defaultIssuer.name=letsencrypt-production",
        "dns01.recursiveNameservers={192.0.2.53,192.0.2.54:5353}",
    )
    for name, value in env_of(objects).items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env()
    assert settings.cluster_resource_namespace == NAMESPACE
    assert settings.solver_image == container(objects)["image"] == "evercert/evercert:1.2.3"
    assert settings.namespaces == ("shop", "blog")
    assert (settings.log_level, settings.log_format) == ("DEBUG", "text")
    assert settings.cert_manager_annotations is True
    assert (settings.leader_election, settings.shards) == (False, 1)
    assert (settings.default_issuer_kind, settings.default_issuer_name) == (
        "ClusterIssuer",
        "letsencrypt-production",
    )
    assert settings.dns01_nameservers == ("192.0.2.53", "192.0.2.54:5353")


def test_by_default_all_namespaces_are_served_and_the_image_is_the_app_version() -> None:
    objects = render()
    env = env_of(objects)
    assert env["EVERCERT_NAMESPACES"] == "" and env["EVERCERT_CERT_MANAGER_ANNOTATIONS"] == "false"
    assert "EVERCERT_DEFAULT_ISSUER_NAME" not in env
    app_version = yaml.safe_load((CHART / "Chart.yaml").read_text())["appVersion"]
    assert container(objects)["image"] == f"evercert/evercert:{app_version}"
    binding = only(objects, "ClusterRoleBinding", "evercert-namespaced")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "evercert", "namespace": NAMESPACE}]
    # The one namespaced grant: the replicas' Leases, in the release namespace.
    assert [(o["kind"], o["metadata"]["name"]) for o in objects if o["kind"] in ("Role", "RoleBinding")] == [
        ("Role", "evercert-leases"),
        ("RoleBinding", "evercert-leases"),
    ]


def test_watched_namespaces_get_the_namespaced_permissions_and_nothing_cluster_wide() -> None:
    objects = render("watchNamespaces={shop,blog}")
    bindings = [
        o for o in objects if o["kind"] == "RoleBinding" and not o["metadata"]["name"].endswith("-leases")
    ]
    assert sorted(b["metadata"]["namespace"] for b in bindings) == ["blog", NAMESPACE, "shop"]
    assert not [
        o for o in objects if o["metadata"]["name"] == "evercert-namespaced" and "Binding" in o["kind"]
    ]
    account_keys = only(objects, "Role", "evercert-account-keys")
    assert account_keys["metadata"]["namespace"] == NAMESPACE
    assert account_keys["rules"] == [
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "create", "update"]}
    ]


def test_rbac_has_no_wildcards_and_nothing_that_grants_more_rights() -> None:
    objects = render("watchNamespaces={shop}")
    rules = [rule for o in objects if o["kind"] in ("ClusterRole", "Role") for rule in o["rules"]]
    for rule in rules:
        assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"]
        assert not {"escalate", "bind", "impersonate"} & set(rule["verbs"])
        assert not {"nodes", "clusterroles", "roles", "serviceaccounts"} & set(rule["resources"])
    secrets = [
        rule
        for rule in only(objects, "ClusterRole", "evercert-cluster")["rules"]
        if "secrets" in rule["resources"]
    ]
    assert secrets == []


def test_replicas_share_shard_leases_in_the_release_namespace() -> None:
    objects = render("replicaCount=3", "shards=4")
    assert only(objects, "Deployment")["spec"]["replicas"] == 3
    assert env_of(objects)["EVERCERT_SHARDS"] == "4"
    from_pod = {
        e["name"]: e["valueFrom"]["fieldRef"]["fieldPath"]
        for e in container(objects)["env"]
        if "valueFrom" in e
    }
    assert from_pod == {"POD_NAME": "metadata.name", "POD_NAMESPACE": "metadata.namespace"}
    leases = only(objects, "Role", "evercert-leases")
    assert leases["metadata"]["namespace"] == NAMESPACE
    assert leases["rules"] == [
        {
            "apiGroups": ["coordination.k8s.io"],
            "resources": ["leases"],
            "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"],
        }
    ]
    binding = only(objects, "RoleBinding", "evercert-leases")
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "evercert-leases",
    }
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "evercert", "namespace": NAMESPACE}]
    # One replica, one shard by default: no Leases. Two replicas: leader election.
    assert env_of(render())["EVERCERT_SHARDS"] == "1"
    assert env_of(render())["EVERCERT_LEADER_ELECTION"] == "false"
    assert env_of(render("replicaCount=2"))["EVERCERT_LEADER_ELECTION"] == "true"
    assert env_of(objects)["EVERCERT_LEADER_ELECTION"] == "true"
    # Upgrades never run two versions side by side.
    assert only(objects, "Deployment")["spec"]["strategy"] == {"type": "Recreate"}


@pytest.mark.parametrize("value", ["shards=0", "shards=65", "replicaCount=-1"])
def test_shard_and_replica_counts_out_of_range_are_refused(value: str) -> None:
    result = helm("template", "evercert", str(CHART), "--set", value)
    assert result.returncode != 0 and value.split("=")[0] in result.stderr


def test_lets_encrypt_cluster_issuers_come_from_an_email_and_are_valid() -> None:
    assert not [o for o in render() if o["kind"] == "ClusterIssuer"]
    objects = render("letsencrypt.email=admin@example.org", "letsencrypt.ingressClassName=nginx")
    issuers = {
        o["metadata"]["name"]: parse_issuer(o, "ClusterIssuer")
        for o in objects
        if o["kind"] == "ClusterIssuer"
    }
    assert sorted(issuers) == ["letsencrypt-production", "letsencrypt-staging"]
    assert issuers["letsencrypt-staging"].server == "https://acme-staging-v02.api.letsencrypt.org/directory"
    assert issuers["letsencrypt-production"].server == "https://acme-v02.api.letsencrypt.org/directory"
    assert issuers["letsencrypt-staging"].solvers[0].ingress_class_name == "nginx"
    only_staging = render("letsencrypt.email=admin@example.org", "letsencrypt.production=false")
    assert [o["metadata"]["name"] for o in only_staging if o["kind"] == "ClusterIssuer"] == [
        "letsencrypt-staging"
    ]


def test_unknown_values_are_refused() -> None:
    result = helm("template", "evercert", str(CHART), "--set", "replicas=1")
    assert result.returncode != 0 and "additional properties 'replicas' not allowed" in result.stderr


def test_workloads_are_read_and_patched_only_where_evercert_serves() -> None:
    """Reload on renewal: get/list/watch/patch on the three workload kinds, in watched namespaces only."""
    objects = render("watchNamespaces={shop}")
    apps = [
        rule
        for rule in only(objects, "ClusterRole", "evercert-namespaced")["rules"]
        if "apps" in rule["apiGroups"]
    ]
    assert apps == [
        {
            "apiGroups": ["apps"],
            "resources": ["deployments", "statefulsets", "daemonsets"],
            "verbs": ["get", "list", "watch", "patch"],
        }
    ]
    cluster_wide = only(objects, "ClusterRole", "evercert-cluster")["rules"]
    assert not [rule for rule in cluster_wide if "apps" in rule["apiGroups"]]


def test_dns01_webhook_groups_get_create_only_when_configured() -> None:
    def webhook_rules(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rules = only(objects, "ClusterRole", "evercert-cluster")["rules"]
        return [rule for rule in rules if rule["verbs"] == ["create"] and rule["resources"] == ["*"]]

    assert webhook_rules(render()) == []
    # As cert-manager grants it: a webhook names its solvers, so the resource is any in the group.
    assert webhook_rules(render("dns01.webhookGroups={acme.pdns.test,acme.example.com}")) == [
        {"apiGroups": ["acme.pdns.test"], "resources": ["*"], "verbs": ["create"]},
        {"apiGroups": ["acme.example.com"], "resources": ["*"], "verbs": ["create"]},
    ]
    assert (
        helm("template", "evercert", str(CHART), "--set", "dns01.webhookGroups={Not_A_Group}").returncode != 0
    )
