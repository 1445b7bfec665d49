"""Reading the local environment's objects, and starting an operator with its ClusterIssuer Ready."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest

from evercert_devenv.environment import LocalEnvironment
from evercert_devenv.processes import Server

from .waiting import wait_for


def announce(pytestconfig: pytest.Config, line: str) -> None:
    """Print past output capture: the test output always tells which routing ran."""
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        print(f"\n{line}")


def start_operator_with_issuer(env: LocalEnvironment) -> Server:
    """An operator process, and the ClusterIssuer for the environment's Pebble, Ready."""
    process = env.start_operator("operator")
    env.apply(env.cluster_issuer())
    wait_for(
        lambda: condition(env, "clusterissuer", None, "local-pebble", "Ready") == "True",
        60,
        "ClusterIssuer Ready",
        process,
    )
    return process


def get(env: LocalEnvironment, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
    args = ["get", kind, name, "-o", "json", "--ignore-not-found"]
    if namespace:
        args += ["-n", namespace]
    out = env.controlplane.kubectl(*args)
    return json.loads(out) if out.strip() else None


def condition(env: LocalEnvironment, kind: str, namespace: str | None, name: str, kind_of: str) -> str | None:
    obj = get(env, kind, namespace, name) or {}
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind_of:
            return str(cond.get("status"))
    return None
