"""The test bed is real: a kube-apiserver that stores, authorizes and collects garbage, and Pebble."""

from __future__ import annotations

import json
import subprocess
import urllib.request

import pytest
import yaml

from evercert_devenv.environment import LocalEnvironment

from ..support.cluster import get
from ..support.waiting import wait_for


def test_kubectl_apply_stores_a_manifest_that_reads_back(env: LocalEnvironment, namespace: str) -> None:
    env.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "hello", "namespace": namespace},
            "data": {"greeting": "hi"},
        }
    )
    stored = get(env, "configmap", namespace, "hello")
    assert stored is not None and stored["data"] == {"greeting": "hi"}
    assert stored["metadata"]["uid"]


def test_apiserver_reports_its_real_version(env: LocalEnvironment) -> None:
    version = json.loads(env.controlplane.kubectl("version", "-o", "json"))["serverVersion"]
    assert version["major"] == "1" and version["gitVersion"].startswith("v1.")
    assert "master" not in version["gitVersion"]


def test_rbac_denies_a_service_account_what_it_was_not_granted(
    env: LocalEnvironment, namespace: str, tmp_path
) -> None:
    env.controlplane.kubectl("create", "serviceaccount", "reader", "-n", namespace)
    env.controlplane.kubectl(
        "create", "role", "read-configmaps", "-n", namespace, "--verb=get,list", "--resource=configmaps"
    )
    env.controlplane.kubectl(
        "create",
        "rolebinding",
        "reader",
        "-n",
        namespace,
        "--role=read-configmaps",
        f"--serviceaccount={namespace}:reader",
    )
    kubeconfig = env.controlplane.service_account_kubeconfig(
        namespace, "reader", tmp_path / "reader.kubeconfig"
    )
    env.controlplane.kubectl("get", "configmaps", "-n", namespace, kubeconfig=kubeconfig)
    with pytest.raises(subprocess.CalledProcessError) as denied:
        env.controlplane.kubectl("get", "secrets", "-n", namespace, kubeconfig=kubeconfig)
    assert "forbidden" in denied.value.stderr.lower()


def test_garbage_collector_deletes_owned_objects(env: LocalEnvironment, namespace: str) -> None:
    env.apply(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "owner", "namespace": namespace}}
    )
    owner = get(env, "configmap", namespace, "owner")
    assert owner is not None
    env.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": "owned",
                "namespace": namespace,
                "ownerReferences": [
                    {
                        "apiVersion": "v1",
                        "kind": "ConfigMap",
                        "name": "owner",
                        "uid": owner["metadata"]["uid"],
                    }
                ],
            },
        }
    )
    env.controlplane.kubectl("delete", "configmap", "owner", "-n", namespace)
    wait_for(lambda: get(env, "configmap", namespace, "owned") is None, 60, "garbage collection")


def test_crds_are_served_and_validate_at_admission(env: LocalEnvironment, namespace: str) -> None:
    names = env.controlplane.kubectl("get", "crd", "-o", "name")
    for plural in ("certificates", "issuers", "clusterissuers"):
        assert f"{plural}.evercert.dev" in names
    bad = {
        "apiVersion": "evercert.dev/v1",
        "kind": "Certificate",
        "metadata": {"name": "bad", "namespace": namespace},
        "spec": {
            "secretName": "bad-tls",
            "dnsNames": ["a.example"],
            "issuerRef": {"name": "x"},
            "privateKey": {"algorithm": "DSA"},
        },
    }
    with pytest.raises(subprocess.CalledProcessError) as rejected:
        env.controlplane.kubectl("apply", "-f", "-", input=yaml.safe_dump(bad))
    assert "algorithm" in rejected.value.stderr


def test_pebble_serves_an_acme_directory_and_its_root(env: LocalEnvironment) -> None:
    with urllib.request.urlopen(env.pebble.directory_url, context=env.pebble.tls_context(), timeout=10) as r:
        directory = json.loads(r.read())
    assert {"newAccount", "newOrder", "newNonce"} <= set(directory)
    assert env.pebble.root_pem().startswith(b"-----BEGIN CERTIFICATE-----")
