"""cert-manager's DNS webhook protocol, through the apiserver's aggregation layer to a real webhook
(cert-manager's webhook server library) that writes to a real PowerDNS."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes_asyncio import client, config

from evercert.core.errors import Dns01ProviderError
from evercert.dns01.provider import TxtRecord
from evercert.dns01.webhook import Webhook
from evercert.kube.client import Kube
from evercert.pki import chain_verifies, key_matches_certificate
from evercert_devenv.binaries import REPO, binary
from evercert_devenv.dns import FORWARDED_ADDRESS
from evercert_devenv.dnswebhook import GROUP, SOLVER, DnsWebhook
from evercert_devenv.environment import LocalEnvironment
from evercert_devenv.podnetwork import PodNetwork
from evercert_devenv.processes import Server

from ..support.cluster import condition, get
from ..support.dns_answers import txt_values
from ..support.waiting import wait_for
from .helpers import certificate, event_reasons, tls_data, wait_ready


@pytest.fixture(scope="module")
def webhook(env: LocalEnvironment) -> Iterator[DnsWebhook]:
    """The webhook on the host end of a Pod network (the environment's, else one of its own: the
    apiserver refuses loopback endpoints), PowerDNS where BIND forwards pdns.test."""
    own_network = None if env.pod_network else PodNetwork.create()
    network = env.pod_network or own_network
    assert network is not None
    server = DnsWebhook(
        env.workdir / "dns-webhook",
        env.controlplane,
        network.host_address,
        dns_address=FORWARDED_ADDRESS,
        dns_port=env.bind.port,
    )
    try:
        server.start()
        yield server
    finally:
        server.stop()
        if own_network is not None:
            own_network.remove()


def record(namespace: str, value: str, dns_name: str = "www.pdns.test") -> TxtRecord:
    return TxtRecord(f"_acme-challenge.{dns_name}.", "pdns.test.", value, dns_name, namespace)


async def test_presents_and_cleans_up_only_its_own_value(
    env: LocalEnvironment, webhook: DnsWebhook, kube: Kube, namespace: str
) -> None:
    env.apply(webhook.api_key_secret(namespace))
    provider = Webhook(kube.api, GROUP, SOLVER, webhook.solver_config())
    apex, wildcard = record(namespace, "value-for-apex"), record(namespace, "value-for-wildcard")
    name, server = apex.fqdn, webhook.pdns.dns_address

    await provider.present(apex)
    await provider.present(wildcard)
    await provider.present(wildcard)  # idempotent
    assert txt_values(server, name) == {"value-for-apex", "value-for-wildcard"}

    await provider.clean_up(apex)
    assert txt_values(server, name) == {"value-for-wildcard"}
    await provider.clean_up(apex)  # absent is fine
    await provider.clean_up(wildcard)
    assert txt_values(server, name) == set()


async def test_the_webhooks_own_error_text_reaches_the_caller(
    webhook: DnsWebhook, kube: Kube, namespace: str
) -> None:
    provider = Webhook(kube.api, GROUP, SOLVER, webhook.solver_config(secret_name="no-such-secret"))
    with pytest.raises(Dns01ProviderError, match='secrets "no-such-secret" not found'):
        await provider.present(record(namespace, "value"))


async def test_an_unknown_solver_name_is_refused_by_the_apiserver(webhook: DnsWebhook, kube: Kube) -> None:
    provider = Webhook(kube.api, GROUP, "no-such-solver", {})
    with pytest.raises(Dns01ProviderError, match="404"):
        await provider.present(record("default", "value"))


async def present_as(
    env: LocalEnvironment, webhook: DnsWebhook, user: str, kubeconfig: Path, namespace: str
) -> None:
    """Present one value as `user` (a client-certificate user with no group that grants anything)."""
    env.controlplane.user_kubeconfig(user, kubeconfig, group="nobody")
    configuration = client.Configuration()
    await config.load_kube_config(str(kubeconfig), client_configuration=configuration, persist_config=False)
    async with client.ApiClient(configuration) as api:
        await Webhook(api, GROUP, SOLVER, webhook.solver_config()).present(
            record(namespace, f"by-{user}", "rbac.pdns.test")
        )


async def test_a_caller_without_rbac_is_forbidden(
    env: LocalEnvironment, webhook: DnsWebhook, namespace: str, tmp_path: Path
) -> None:
    with pytest.raises(Dns01ProviderError, match="forbidden"):
        await present_as(env, webhook, "no-rights", tmp_path / "kubeconfig", namespace)


async def test_the_charts_rule_for_a_configured_webhook_group_is_enough(
    env: LocalEnvironment, webhook: DnsWebhook, namespace: str, tmp_path: Path
) -> None:
    chart = str(REPO / "deploy" / "helm" / "evercert")
    rendered = subprocess.run(
        [binary("helm"), "template", "evercert", chart, "--set", f"dns01.webhookGroups={{{GROUP}}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (cluster_role,) = [
        doc
        for doc in yaml.safe_load_all(rendered)
        if doc and doc["kind"] == "ClusterRole" and doc["metadata"]["name"] == "evercert-cluster"
    ]
    rules = [rule for rule in cluster_role["rules"] if GROUP in rule["apiGroups"]]
    user = f"chart-{namespace}"
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": user}}
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": user},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": user},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}],
    }
    env.apply({**role, "rules": rules})
    env.apply(binding)
    env.apply(webhook.api_key_secret(namespace))
    try:
        await present_as(env, webhook, user, tmp_path / "kubeconfig", namespace)
    finally:
        env.controlplane.kubectl("delete", "clusterrolebinding,clusterrole", user, "--ignore-not-found")
    assert f"by-{user}" in txt_values(webhook.pdns.dns_address, "_acme-challenge.rbac.pdns.test.")


def webhook_issuer(
    env: LocalEnvironment,
    operator: Server,
    webhook: DnsWebhook,
    namespace: str,
    secret_name: str = "pdns-api",
) -> str:
    """An Issuer in `namespace` whose one solver is the webhook (its API key in Secret `secret_name`).
    Its zone lookups ask PowerDNS itself: through BIND, BIND could answer Pebble from the no-such-name it
    noted a moment before the record was added (Pebble asks BIND, which forwards pdns.test)."""
    issuer = env.cluster_issuer("pdns-webhook")
    issuer["kind"] = "Issuer"
    issuer["metadata"] = {"name": "pdns-webhook", "namespace": namespace}
    acme = issuer["spec"]["acme"]  # type: ignore[index]
    host, port = webhook.pdns.dns_address
    solver = {"groupName": GROUP, "solverName": SOLVER, "config": webhook.solver_config(secret_name)}
    acme["solvers"] = [{"dns01": {"webhook": solver, "nameservers": [f"{host}:{port}"]}}]
    env.apply(issuer)
    wait_for(
        lambda: condition(env, "issuer", namespace, "pdns-webhook", "Ready") == "True", 60, "Issuer", operator
    )
    return "pdns-webhook"


def test_a_wildcard_and_its_apex_are_issued_through_the_webhook(
    env: LocalEnvironment, operator: Server, webhook: DnsWebhook, namespace: str
) -> None:
    env.apply(webhook.api_key_secret(namespace))
    issuer = webhook_issuer(env, operator, webhook, namespace)
    names = ["*.web.pdns.test", "web.pdns.test"]
    env.apply(certificate(namespace, "web", names, issuer=issuer, kind="Issuer"))
    wait_ready(env, namespace, "web", process=operator)
    chain, key = tls_data(env, namespace, "web-tls")
    assert key_matches_certificate(key, chain)
    assert all(
        chain_verifies(chain, env.pebble.root_pem(), name) for name in ("a.web.pdns.test", "web.pdns.test")
    )
    wait_for(
        lambda: txt_values(webhook.pdns.dns_address, "_acme-challenge.web.pdns.test.") == set(),
        30,
        "TXT values removed from PowerDNS",
    )


def test_a_failing_webhook_gives_the_certificate_its_own_words(
    env: LocalEnvironment, operator: Server, webhook: DnsWebhook, namespace: str
) -> None:
    issuer = webhook_issuer(env, operator, webhook, namespace, secret_name="no-such-secret")
    env.apply(certificate(namespace, "broken", ["broken.pdns.test"], issuer=issuer, kind="Issuer"))

    def failed() -> dict[str, Any] | None:
        conditions = ((get(env, "certificate", namespace, "broken") or {}).get("status") or {}).get(
            "conditions"
        )
        issuing = next((c for c in conditions or [] if c["type"] == "Issuing"), {})
        return issuing if issuing.get("status") == "False" else None

    issuing = wait_for(failed, 60, "Issuing=False", operator)
    assert issuing["reason"] == "DNS01ProviderError"
    assert 'secrets "no-such-secret" not found' in issuing["message"]
    assert "DNS01ProviderError" in event_reasons(env, namespace, "broken")
