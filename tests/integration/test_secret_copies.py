"""Copies of a Certificate's Secret in other namespaces, opt-in on both sides, against the real control
plane and Pebble: written with the source, followed by reload-on-renewal in the target namespace,
refused (status + Warning Event) where a namespace matches without opting in, removed when the opt-in
or the Certificate goes."""

from __future__ import annotations

import base64
import datetime
import uuid
from collections.abc import Iterator

import pytest

from evercert_devenv.environment import LocalEnvironment
from evercert_devenv.processes import Server

from ..support.cluster import get
from ..support.waiting import wait_for
from .helpers import certificate, event_reasons, serial, tls_data, wait_ready
from .test_reload import SERIALS, deployment

ACCEPT = "evercert.dev/accept-copies-from"


@pytest.fixture
def targets(env: LocalEnvironment) -> Iterator[tuple[str, str]]:
    """Two namespaces labelled team=edge-<id>: the first is to accept copies, the second not."""
    suffix = uuid.uuid4().hex[:6]
    names = (f"accepts-{suffix}", f"refuses-{suffix}")
    for name in names:
        env.controlplane.kubectl("create", "namespace", name)
        env.controlplane.kubectl("label", "namespace", name, f"team=edge-{suffix}")
    yield names
    for name in names:
        env.controlplane.kubectl("delete", "namespace", name, "--wait=false")


def secret_data(env: LocalEnvironment, namespace: str, name: str) -> dict[str, str] | None:
    secret = get(env, "secret", namespace, name)
    return None if secret is None else secret.get("data") or {}


def test_copies_follow_the_source_and_the_opt_in(
    env: LocalEnvironment, operator: Server, namespace: str, targets: tuple[str, str]
) -> None:
    accepts, refuses = targets
    team = accepts.split("-", 1)[1]
    env.controlplane.kubectl("label", "namespace", accepts, f"{ACCEPT}={namespace}")
    selector = {"namespaceSelector": {"matchLabels": {"team": f"edge-{team}"}}}
    env.apply(certificate(namespace, "gateway", ["gw.copies.example"], secretCopies=selector))
    wait_ready(env, namespace, "gateway", process=operator)
    source = secret_data(env, namespace, "gateway-tls")
    assert source is not None
    wait_for(lambda: secret_data(env, accepts, "gateway-tls") == source, 60, "the copy", operator)
    copy = get(env, "secret", accepts, "gateway-tls") or {}
    assert copy["metadata"]["annotations"]["evercert.dev/copy-of"] == f"{namespace}/gateway"
    assert copy["metadata"]["labels"]["evercert.dev/copy-source-namespace"] == namespace
    assert "ownerReferences" not in copy["metadata"]
    assert secret_data(env, refuses, "gateway-tls") is None

    def copies_status() -> dict[str, list[str]]:
        return ((get(env, "certificate", namespace, "gateway") or {}).get("status") or {}).get(
            "secretCopies"
        ) or {}

    wait_for(lambda: copies_status().get("notAccepted") == [refuses], 60, "status.secretCopies", operator)
    assert copies_status().get("namespaces") == [accepts]
    assert "CopiesNotAccepted" in event_reasons(env, namespace, "gateway")

    # A workload in the target namespace that mounts the copy restarts when the source is renewed (made
    # after the copy was written, it is not restarted before: its Pods read the current certificate).
    env.apply(deployment(accepts, "mesh", "gateway-tls", "auto"))
    first = serial(tls_data(env, namespace, "gateway-tls")[0])

    def template_serials() -> str:
        found = get(env, "deployment", accepts, "mesh") or {}
        annotations = found["spec"]["template"]["metadata"].get("annotations") or {}
        return str(annotations.get(SERIALS, ""))

    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    env.controlplane.kubectl(
        "annotate",
        "certificate",
        "gateway",
        "-n",
        namespace,
        f"evercert.dev/renew-requested-at={now}",
        "--overwrite",
    )
    wait_for(lambda: serial(tls_data(env, namespace, "gateway-tls")[0]) != first, 90, "the renewal", operator)
    renewed = serial(tls_data(env, namespace, "gateway-tls")[0])

    def copy_serial() -> int | None:
        copied = (secret_data(env, accepts, "gateway-tls") or {}).get("tls.crt")
        return serial(base64.b64decode(copied)) if copied else None

    wait_for(lambda: copy_serial() == renewed, 60, "the renewed copy", operator)
    wait_for(lambda: format(renewed, "x") in template_serials(), 60, "the workload restarted", operator)

    # The target stops opting in: its copy goes.
    env.controlplane.kubectl("label", "namespace", accepts, f"{ACCEPT}-")
    wait_for(lambda: secret_data(env, accepts, "gateway-tls") is None, 60, "the copy removed", operator)
    wait_for(
        lambda: sorted(copies_status().get("notAccepted") or []) == sorted([accepts, refuses]),
        60,
        "both not accepted",
        operator,
    )

    # Opting in again brings the copy back; deleting the Certificate removes it.
    env.controlplane.kubectl("label", "namespace", accepts, f"{ACCEPT}={namespace}")
    wait_for(lambda: secret_data(env, accepts, "gateway-tls") is not None, 60, "the copy again", operator)
    env.controlplane.kubectl("delete", "certificate", "gateway", "-n", namespace)
    wait_for(
        lambda: secret_data(env, accepts, "gateway-tls") is None,
        60,
        "the copy removed with its source",
        operator,
    )
