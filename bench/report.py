"""The plain report: one figure per line, with its target and the core count, and the JSON results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# key → the most it may be (None: reported, no target)
TARGETS: dict[str, float | None] = {
    "ready_seconds_median": 2,
    "hundred_first_ready_seconds": 3,
    "hundred_ready_seconds": 20,
    "hundred_ready_seconds_max": 20,
    "peak_solver_pods": None,
    "acme_requests_per_certificate": None,
    "operator_cpu_per_apiserver_cpu": 1.0,
    "operator_cpu_per_apiserver_cpu_rsa": None,  # the same burst with RSA 2048 keys: what RSA costs
    "thousand_ready_seconds": 180,
    "thousand_peak_solver_pods": None,  # at most max_concurrent_issuances: see lines()
    "max_concurrent_issuances": None,
    "rss_mb_1k": 150,
    "rss_mb_1k_with_secrets": 150,
    "secrets_rss_increase_percent": 5,
    "idle_api_requests": 0,
    "restart_settle_seconds": 30,
    "restart_reissues": 0,
    "failover_seconds": 20,
    "failover_certificates_with_two_orders": 0,
    "failover_extra_orders_at_the_ca": 0,
    "shard_failover_seconds": 20,
    "shard_failover_certificates_with_two_orders": 0,
    "shard_failover_extra_orders_at_the_ca": 0,
    "rss_mb_10k": 150,
    "restart_settle_seconds_10k": 60,
    "restart_reissues_10k": 0,
    "restart_revision_increases_10k": 0,
    "restart_peak_rss_mb_10k": 200,
    "restart_status_writes_10k": None,
    "metrics_scrape_ms_1k": 50,
    "metrics_rss_mb_1k": 5,
    "dns01_ready_seconds_median": 3,
    "dns01_hundred_ready_seconds": 30,
    "dns01_txt_left": 0,
    "dns01_updates_per_certificate": 2,
    "formats_write_ms": 20,
    "migrate_seconds_1k": 60,  # `kubectl evercert migrate` of 1,000 cert-manager Certificates until Ready
    "migrate_new_orders": 0,
    "migrate_new_accounts": 0,
    "migrate_secrets_rewritten": 0,  # tls.crt unchanged
}


def line(key: str, value: Any, cores: int, target: float | None) -> str:
    """`ready_seconds_median 1.23 (target <= 2, cores 2)`, with MISSED appended when over target."""
    if target is None:
        return f"{key} {value} (cores {cores})"
    missed = " MISSED" if value is None or value > target else ""
    return f"{key} {value} (target <= {target:g}, cores {cores}){missed}"


def lines(results: dict[str, Any]) -> list[str]:
    cores = results["cores"]
    targets = {**TARGETS, "thousand_peak_solver_pods": results.get("max_concurrent_issuances")}
    loads = " ".join(f"{k}={v}" for k, v in (results.get("load_before") or {}).items())
    return [f"cores {cores}", f"load average before each phase: {loads}"] + [
        line(key, results.get(key), cores, targets.get(key)) for key in TARGETS
    ]


def write(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
