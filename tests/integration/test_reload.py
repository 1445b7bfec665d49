"""Reload on renewal against the real control plane: kube-controller-manager's Deployment controller
makes a new ReplicaSet when, and only when, a followed certificate changes.

No kubelet runs here, so the Pods stay Pending; the ReplicaSets are what a rollout is made of.
Absence is proven with watches over windows that end on an observable barrier: a "probe" Deployment
that follows a second Certificate. A new certificate in any managed Secret of the namespace makes the
operator plan every annotated workload of that namespace in one pass, and the Event it posts on the
probe comes after every patch of that pass.
"""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any

from evercert.reload import issued_certificate
from evercert_devenv.environment import LocalEnvironment
from evercert_devenv.processes import Server

from ..support.cluster import get
from ..support.waiting import wait_for
from .helpers import certificate, event_reasons, serial, tls_data, wait_ready
from .watching import Watch

RELOAD = "evercert.dev/reload-on-renewal"
SERIALS = "evercert.dev/certificate-serials"
RESTARTED = "RestartedForRenewal"


def deployment(namespace: str, name: str, secret: str, reload: str | None) -> dict[str, Any]:
    annotations = {RELOAD: reload} if reload is not None else {}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "annotations": annotations},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "nginx",
                            "volumeMounts": [{"name": "tls", "mountPath": "/etc/tls", "readOnly": True}],
                        }
                    ],
                    "volumes": [{"name": "tls", "secret": {"secretName": secret}}],
                },
            },
        },
    }


def replica_sets(watch: Watch, deployment_name: str) -> dict[str, dict[str, Any]]:
    """Every ReplicaSet of the Deployment the watch saw, by name (its latest version)."""
    found: dict[str, dict[str, Any]] = {}
    for _, obj in watch.events:
        owners = obj["metadata"].get("ownerReferences") or []
        if any(o["kind"] == "Deployment" and o["name"] == deployment_name for o in owners):
            found[obj["metadata"]["name"]] = obj
    return found


def template_serials(replica_set: dict[str, Any]) -> str | None:
    return (replica_set["spec"]["template"]["metadata"].get("annotations") or {}).get(SERIALS)


def versions(watch: Watch, name: str) -> list[dict[str, Any]]:
    return [obj for obj in watch.versions if obj["metadata"]["name"] == name]


def generation(env: LocalEnvironment, namespace: str, name: str) -> int:
    return int((get(env, "deployment", namespace, name) or {})["metadata"]["generation"])


def serial_hex(env: LocalEnvironment, namespace: str, secret: str) -> str:
    return format(serial(tls_data(env, namespace, secret)[0]), "x")


def restarts(env: LocalEnvironment, namespace: str, name: str) -> int:
    return event_reasons(env, namespace, name).count(RESTARTED)


def renew(env: LocalEnvironment, namespace: str, name: str) -> None:
    """The manual renew trigger; returns once the Secret holds a new certificate."""
    before = serial_hex(env, namespace, f"{name}-tls")
    now = datetime.datetime.now(datetime.UTC).isoformat()
    env.controlplane.kubectl(
        "annotate",
        "certificate",
        name,
        "-n",
        namespace,
        f"evercert.dev/renew-requested-at={now}",
        "--overwrite",
    )
    wait_for(lambda: serial_hex(env, namespace, f"{name}-tls") != before, 60, f"{name} renewed")


def after_the_certificate_was_written(env: LocalEnvironment, namespace: str, secret: str) -> None:
    """Wait for the next whole second after the Secret's write, so an object made now is newer (the API's
    timestamps have whole seconds, and within one second the operator assumes the older case)."""
    out = env.controlplane.kubectl(
        "get", "secret", secret, "-n", namespace, "-o", "json", "--show-managed-fields"
    )
    body = json.loads(out)
    issued = issued_certificate(body)
    assert (
        issued is not None and body["metadata"]["managedFields"]
    )  # the time of the write, as the operator sees it
    newer = issued.issued_at + datetime.timedelta(seconds=1)
    wait_for(lambda: datetime.datetime.now(datetime.UTC) >= newer, 5, "the next whole second")


def test_a_renewal_rolls_out_the_deployments_that_follow_it_once(
    env: LocalEnvironment, operator: Server, namespace: str
) -> None:
    env.apply(certificate(namespace, "web", ["reload.example.org"]))
    wait_ready(env, namespace, "web", process=operator)
    first = serial_hex(env, namespace, "web-tls")
    after_the_certificate_was_written(env, namespace, "web-tls")

    with Watch(env, "deployments", namespace) as deployments, Watch(env, "replicasets", namespace) as sets:
        # Created after the certificate: their Pods read it, no rollout. The probe is older than its
        # Secret (issued below), so it is restarted on first issuance: the barrier.
        env.apply(deployment(namespace, "named", "web-tls", "web-tls"))
        env.apply(deployment(namespace, "auto", "web-tls", "auto"))
        env.apply(deployment(namespace, "plain", "web-tls", None))
        env.apply(deployment(namespace, "probe", "probe-tls", "probe-tls"))
        for name in ("named", "auto", "plain"):
            wait_for(lambda n=name: replica_sets(sets, n), 30, f"the first ReplicaSet of {name}", operator)
        env.apply(certificate(namespace, "probe", ["probe.example.org"]))
        wait_ready(env, namespace, "probe", process=operator)
        wait_for(lambda: restarts(env, namespace, "probe") >= 1, 30, "probe restarted", operator)
        for name in ("named", "auto", "plain"):
            # A GET after the barrier's Event: any patch of that pass was written before the Event was.
            assert generation(env, namespace, name) == 1, f"{name} was changed on first issuance"

        renew(env, namespace, "web")
        second = serial_hex(env, namespace, "web-tls")
        assert second != first
        for name in ("named", "auto"):
            wait_for(
                lambda n=name: len(replica_sets(sets, n)) == 2, 30, f"a new ReplicaSet of {name}", operator
            )
            new = [rs for rs in replica_sets(sets, name).values() if template_serials(rs)]
            assert [template_serials(rs) for rs in new] == [f"web-tls={second}"]
            wait_for(lambda n=name: restarts(env, namespace, n) == 1, 30, f"the Event on {name}", operator)

        # A restarted operator finds the serials on the Pod templates and leaves them alone. The barrier:
        # a renewal of the probe's certificate, planned with every workload of the namespace.
        operator.stop()
        operator.start()
        renew(env, namespace, "probe")
        wait_for(lambda: restarts(env, namespace, "probe") >= 2, 60, "probe restarted again", operator)
        for name in ("named", "auto"):
            assert generation(env, namespace, name) == 2, f"{name} was changed after the restart"
            assert len(replica_sets(sets, name)) == 2, f"{name} rolled out again after the restart"
            assert restarts(env, namespace, name) == 1
        assert generation(env, namespace, "plain") == 1
        assert restarts(env, namespace, "probe") == 2
        wait_for(lambda: len(replica_sets(sets, "probe")) == 3, 30, "the probe's third ReplicaSet", operator)

    plain = versions(deployments, "plain")
    assert plain and all(v["metadata"]["generation"] == 1 for v in plain)
    assert not any(SERIALS in (v["spec"]["template"]["metadata"].get("annotations") or {}) for v in plain)
    assert len(replica_sets(sets, "plain")) == 1
    assert restarts(env, namespace, "plain") == 0


def test_a_deployment_older_than_its_secret_is_restarted_on_first_issuance(
    env: LocalEnvironment, operator: Server, namespace: str
) -> None:
    """The serial written is the leaf's serial in lowercase hex, as the Secret's own annotation has it."""
    env.apply(deployment(namespace, "early", "early-tls", "early-tls"))
    env.apply(certificate(namespace, "early", ["early.example.org"]))
    wait_ready(env, namespace, "early", process=operator)
    wait_for(lambda: restarts(env, namespace, "early") == 1, 30, "early restarted", operator)
    secret = get(env, "secret", namespace, "early-tls") or {}
    chain = base64.b64decode(secret["data"]["tls.crt"])
    body = get(env, "deployment", namespace, "early") or {}
    recorded = body["spec"]["template"]["metadata"]["annotations"][SERIALS]
    assert recorded == f"early-tls={format(serial(chain), 'x')}"
    assert recorded == f"early-tls={secret['metadata']['annotations']['evercert.dev/serial']}"
