"""The plain report: one figure per line, with its target and the core count, and the JSON results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# key → the most it may be (None: reported, no target)
TARGETS: dict[str, float | None] = {
    "ready_seconds_median": 2,
    "hundred_ready_seconds": 30,
    "peak_solver_pods": None,
    "acme_requests_per_certificate": None,
    "rss_mb_1k": 150,
    "rss_mb_1k_with_secrets": 150,
    "secrets_rss_increase_percent": 5,
    "idle_api_requests": 0,
    "restart_settle_seconds": 30,
    "restart_reissues": 0,
    "metrics_scrape_ms_1k": 50,
    "metrics_rss_mb_1k": 5,
}


def line(key: str, value: Any, cores: int) -> str:
    """`ready_seconds_median 1.23 (target <= 2, cores 2)`, with MISSED appended when over target."""
    target = TARGETS.get(key)
    if target is None:
        return f"{key} {value} (cores {cores})"
    missed = " MISSED" if value is None or value > target else ""
    return f"{key} {value} (target <= {target:g}, cores {cores}){missed}"


def lines(results: dict[str, Any]) -> list[str]:
    cores = results["cores"]
    return [f"cores {cores}"] + [line(key, results.get(key), cores) for key in TARGETS]


def write(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
