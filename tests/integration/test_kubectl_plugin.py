"""`kubectl evercert`: the real kubectl finds the `kubectl-evercert` entry point on PATH and runs it."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from evercert_devenv.binaries import binary
from evercert_devenv.controlplane import kubeconfig_yaml
from evercert_devenv.environment import REPO, LocalEnvironment, python_path_env
from evercert_devenv.processes import Server

from ..support.cluster import get
from ..support.waiting import wait_for
from .helpers import certificate, read_table, serial, tls_data, wait_ready

PLUGIN = "kubectl-evercert"
Kubectl = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the console script that pip makes from pyproject's [project.scripts]."""
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    module, function = scripts[PLUGIN].split(":")
    directory = tmp_path_factory.mktemp("plugins")
    launcher = directory / PLUGIN
    launcher.write_text(
        f"#!{sys.executable}\nimport sys\nfrom {module} import {function}\nsys.exit({function}())\n"
    )
    launcher.chmod(launcher.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return directory


@pytest.fixture
def kubectl(env: LocalEnvironment, plugin_dir: Path) -> Kubectl:
    """Run the real kubectl with the plugin directory first on PATH and the test bed's KUBECONFIG."""
    environment = {
        **os.environ,
        **python_path_env(),
        "KUBECONFIG": str(env.kubeconfig),
        "PATH": f"{plugin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }

    def run(*args: str, **overrides: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [binary("kubectl"), *args],
            env={**environment, **overrides},
            capture_output=True,
            text=True,
            timeout=60,
        )

    return run


def issued(env: LocalEnvironment, operator: Server, namespace: str, name: str = "web") -> bytes:
    """Issue a Certificate through Pebble and return its chain."""
    env.apply(certificate(namespace, name, [f"{name}.example.org"]))
    wait_ready(env, namespace, name, process=operator)
    return tls_data(env, namespace, f"{name}-tls")[0]


def test_kubectl_lists_the_plugin(kubectl: Kubectl, plugin_dir: Path) -> None:
    listed = kubectl("plugin", "list")
    assert str(plugin_dir / PLUGIN) in listed.stdout, listed.stdout + listed.stderr


def test_status_lists_an_issued_certificate_as_ready(
    env: LocalEnvironment, operator: Server, namespace: str, kubectl: Kubectl
) -> None:
    issued(env, operator, namespace)
    done = kubectl("evercert", "status", "-n", namespace)
    assert done.returncode == 0, done.stderr
    [row] = read_table(done.stdout)
    assert row["NAME"] == "web" and row["READY"] == "True" and row["REASON"] == "Ready"
    assert (row["SECRET"], row["ISSUER"]) == ("web-tls", "local-pebble")
    assert row["EXPIRES"].startswith("in ") and row["RENEWS"].startswith("in ")

    everywhere = read_table(kubectl("evercert", "status", "-A").stdout)
    assert {"NAMESPACE": namespace, "NAME": "web"}.items() <= next(
        r for r in everywhere if r["NAMESPACE"] == namespace
    ).items()


def test_flags_after_the_plugin_name_choose_the_kubeconfig(
    env: LocalEnvironment, operator: Server, namespace: str, kubectl: Kubectl
) -> None:
    issued(env, operator, namespace)
    done = kubectl(
        "evercert",
        "status",
        "web",
        "--kubeconfig",
        str(env.kubeconfig),
        "-n",
        namespace,
        KUBECONFIG="/nowhere",
    )
    assert done.returncode == 0, done.stderr
    ready = next(line for line in done.stdout.splitlines() if line.startswith("Ready:"))
    assert ready.split()[1] == "True", done.stdout  # `status NAME`: the Certificate in depth
    assert "Solver objects:" in done.stdout and "Events (last" in done.stdout
    missing = kubectl("evercert", "status", "nothing-here", "-n", namespace)
    assert missing.returncode == 1 and "not found" in missing.stderr


def test_inspect_secret_shows_the_serial_and_never_the_key(
    env: LocalEnvironment, operator: Server, namespace: str, kubectl: Kubectl
) -> None:
    chain = issued(env, operator, namespace)
    wait_for(
        lambda: (
            ((get(env, "certificate", namespace, "web") or {}).get("status") or {}).get("renewalInfo") or {}
        ).get("windowStart"),
        30,
        "ARI window in status",
        operator,
    )
    done = kubectl("evercert", "inspect", "secret", "web-tls", "-n", namespace)
    assert done.returncode == 0, done.stderr
    report = done.stdout
    assert f"Serial:         {format(serial(chain), 'x')}" in report
    assert "Names:          web.example.org" in report
    assert "Issuer:         local-pebble (ClusterIssuer)" in report
    assert "Private key:    in tls.key, matches the certificate" in report
    assert "ARI window:" in report and " to " in report.split("ARI window:")[1].splitlines()[0]
    assert "each certificate is signed by the next" in report

    key_pem = tls_data(env, namespace, "web-tls")[1]
    shown = done.stdout + done.stderr
    assert "PRIVATE KEY" not in shown
    assert base64.b64encode(key_pem).decode() not in shown
    assert not [line for line in key_pem.decode().splitlines()[1:-1] if line in shown]


def test_renew_leads_to_a_new_serial(
    env: LocalEnvironment, operator: Server, namespace: str, kubectl: Kubectl
) -> None:
    first = serial(issued(env, operator, namespace))
    done = kubectl("evercert", "renew", "web", "-n", namespace)
    assert done.returncode == 0, done.stderr
    assert "certificate.evercert.dev/web renewal requested" in done.stdout
    wait_for(
        lambda: serial(tls_data(env, namespace, "web-tls")[0]) != first, 30, "a renewed certificate", operator
    )
    wait_for(
        lambda: ((get(env, "certificate", namespace, "web") or {}).get("status") or {}).get("revision") == 2,
        30,
        "revision 2",
        operator,
    )
    wait_ready(env, namespace, "web", process=operator)
    [row] = read_table(kubectl("evercert", "status", "web", "-n", namespace, "-o", "wide").stdout)
    assert (row["READY"], row["REVISION"]) == ("True", "2")


def test_check_exit_status_follows_the_window(
    env: LocalEnvironment, operator: Server, namespace: str, kubectl: Kubectl
) -> None:
    """Pebble's certificates live 90 days: a 1 h window passes, a 100 d one does not."""
    issued(env, operator, namespace)
    short = kubectl("evercert", "check", "--expires-within", "1h", "-n", namespace)
    assert short.returncode == 0, short.stdout + short.stderr
    long = kubectl("evercert", "check", "--expires-within", "100d", "-n", namespace)
    assert long.returncode == 1, long.stdout + long.stderr
    assert long.stdout.startswith(f"{namespace}/web: expires in ")
    assert kubectl("evercert", "check", "--expires-within", "2400h", "-n", namespace).returncode == 1


def test_check_says_2_when_it_cannot_check(
    env: LocalEnvironment, kubectl: Kubectl, namespace: str, tmp_path: Path
) -> None:
    assert kubectl("evercert", "check", "--expires-within", "soon", "-n", namespace).returncode == 2
    no_context = kubectl("evercert", "check", "--context", "no-such-context", "-n", namespace)
    assert no_context.returncode == 2 and "no-such-context" in no_context.stderr
    closed = tmp_path / "closed.kubeconfig"
    closed.write_text(kubeconfig_yaml("https://127.0.0.1:1", env.controlplane.ca.cert_pem, {"token": "t"}))
    unreachable = kubectl("evercert", "check", "--kubeconfig", str(closed), "-n", namespace)
    assert unreachable.returncode == 2 and "unable to connect" in unreachable.stderr
