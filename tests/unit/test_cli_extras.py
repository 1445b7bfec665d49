"""`status NAME` in depth, `renew -l`, `version` and `completion`: what people read and shells load."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime

from evercert.cli import build_parser
from evercert.cli.completion import command_options, script
from evercert.cli.detail import certificate_report
from evercert.cli.version import operator_versions

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
FAILING = {
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {
        "secretName": "web-tls",
        "dnsNames": ["web.example.org"],
        "issuerRef": {"name": "le", "kind": "ClusterIssuer"},
    },
    "status": {
        "conditions": [
            {"type": "Ready", "status": "False", "reason": "DoesNotExist", "message": "no Secret yet"},
            {
                "type": "Issuing",
                "status": "False",
                "reason": "SelfCheckFailed",
                "message": "the route answered 404",
            },
        ],
        "order": {
            "url": "https://ca.example.org/order/7",
            "dnsNames": ["web.example.org"],
            "issuer": "ClusterIssuer/le",
        },
        "failedIssuanceAttempts": 2,
        "lastFailureTime": "2026-12-07T11:50:00Z",
        "nextAttemptTime": "2026-12-07T12:10:00Z",
    },
}


def test_status_in_depth_shows_the_failure_the_order_the_solvers_and_the_events() -> None:
    pod = {
        "kind": "Pod",
        "metadata": {"name": "web-solver-x"},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}]},
    }
    events = [
        {
            "type": "Warning",
            "reason": "SelfCheckFailed",
            "message": "404 from the route",
            "lastTimestamp": "2026-12-07T11:50:00Z",
        }
    ]
    report = certificate_report(FAILING, None, [pod], events, NOW)
    assert "Issuing:          False (SelfCheckFailed: the route answered 404)" in report
    assert "https://ca.example.org/order/7 for web.example.org, via ClusterIssuer/le" in report
    assert "2, last 2026-12-07T11:50:00Z (10m ago), next attempt 2026-12-07T12:10:00Z (in 10m)" in report
    assert "  does not exist" in report
    assert "  Pod/web-solver-x  Running, not Ready" in report
    assert "10m ago  Warning  SelfCheckFailed  404 from the route" in report


def test_renew_takes_a_label_selector_across_namespaces() -> None:
    options = build_parser().parse_args(["renew", "-l", "team=web", "-A"])
    assert (options.selector, options.all_namespaces, options.name) == ("team=web", True, None)


def test_version_names_each_operator_deployment() -> None:
    deployment = {
        "metadata": {
            "name": "evercert",
            "namespace": "evercert",
            "labels": {"app.kubernetes.io/version": "0.1.0"},
        },
        "spec": {"template": {"spec": {"containers": [{"image": "evercert/evercert:0.1.0"}]}}},
    }
    assert operator_versions([deployment]) == "0.1.0 (evercert/evercert, image evercert/evercert:0.1.0)"
    assert operator_versions([]).startswith("not found")


def test_completion_scripts_list_every_command_and_load_in_bash() -> None:
    commands = command_options(build_parser())
    assert {"status", "renew", "migrate", "completion", "version"} <= set(commands)
    assert "--dry-run" in commands["migrate"]
    bash = script("bash", commands)
    checked = subprocess.run(["bash", "-n"], input=bash, text=True, capture_output=True)
    assert checked.returncode == 0, checked.stderr
    assert "complete -F _evercert kubectl-evercert evercert" in bash
    assert script("zsh", commands).startswith("autoload -U +X bashcompinit")
    assert '__fish_seen_subcommand_from migrate" -l dry-run' in script("fish", commands)


async def test_migrate_asks_again_after_a_429_as_kubectl_does() -> None:
    from kubernetes_asyncio.client.exceptions import ApiException

    from evercert.cli.migrate import patiently

    answers: list[int] = []

    async def step() -> str:
        answers.append(len(answers))
        if len(answers) < 3:
            exc = ApiException(status=429, reason="storage is (re)initializing")
            exc.headers = {"Retry-After": "0.01"}
            raise exc
        return "listed"

    assert await patiently(step) == "listed"
    assert len(answers) == 3
