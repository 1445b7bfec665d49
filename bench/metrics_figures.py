"""The cost of the metrics with 1,000 Certificates observed: scrape time and the memory they add.

Measured in a fresh Python process (this file run as a script), so nothing else in the process moves
its resident set. Baseline: RSS (VmRSS in /proc/self/status) once the operator's libraries and then the
metrics are imported (that import is `metrics_import_mb`) and the empty metrics were scraped once. Then
1,000 Certificates and a realistic mix of ACME request series are observed, the metrics are scraped
SCRAPES times (`exposition.chunks()`, what the HTTP endpoint sends), and the increase of VmRSS is the
figure (VmHWM's increase, the peak, is reported beside it). The scrape figure is the median CPU time
of one scrape (`time.thread_time`): the work a scrape costs, which a loaded machine does not inflate
as it does wall time; the wall times are reported beside it.
"""

from __future__ import annotations

import datetime
import gc
import importlib
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

CERTIFICATES = 1000
SCRAPES = 20
OPERATOR = Path(__file__).resolve().parents[1] / "operator"
# What the operator has loaded anyway, without the metrics (which its handlers and ACME client import).
OPERATOR_MODULES = ("kopf", "acme.client", "evercert.kube.client", "evercert.api")


def _vm_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


def measure() -> dict[str, float]:
    """Figures for this process (call it in a fresh one: see figures())."""
    for module in OPERATOR_MODULES:
        importlib.import_module(module)
    before_import = _vm_mb("VmRSS")
    from evercert import metrics
    from evercert.metrics.exposition import chunks

    chunks()
    gc.collect()
    baseline = _vm_mb("VmRSS")
    now = datetime.datetime.now(datetime.UTC)
    for i in range(CERTIFICATES):
        metrics.observe_certificate(
            namespace=f"team-{i % 25:02d}",
            name=f"www-{i:04d}-example-org-tls",
            issuer_kind="ClusterIssuer",
            issuer_name="letsencrypt-production",
            not_before=now - datetime.timedelta(days=i % 60),
            not_after=now + datetime.timedelta(days=90 - i % 60),
            renewal_time=now + datetime.timedelta(days=60 - i % 60),
            ready=i % 50 != 0,
            issuing=i % 100 == 0,
        )
    for kind in (
        "new-nonce",
        "new-account",
        "new-order",
        "order/1/2",
        "authz/3",
        "chall/3/x",
        "finalize/1/2",
    ):
        for status in (200, 201, 400, 429, None):
            url = f"https://acme-v02.api.letsencrypt.org/acme/{kind}"
            metrics.observe_acme_request("POST", url, status, 0.2)
    for reason in ("DoesNotExist", "Renewing", "ACMEValidationFailed", "ACMERateLimited"):
        metrics.observe_issuance(reason.startswith("ACME") is False, reason)
    cpu, wall = [], []
    for _ in range(SCRAPES):
        started, started_cpu = time.perf_counter(), time.thread_time()
        chunks()
        cpu.append((time.thread_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    gc.collect()
    return {
        "metrics_scrape_ms_1k": round(statistics.median(cpu), 1),
        "metrics_scrape_wall_ms_1k_median": round(statistics.median(wall), 1),
        "metrics_scrape_wall_ms_1k_min": round(min(wall), 1),
        "metrics_rss_mb_1k": round(_vm_mb("VmRSS") - baseline, 1),
        "metrics_peak_rss_mb_1k": round(_vm_mb("VmHWM") - baseline, 1),
        "metrics_import_mb": round(baseline - before_import, 1),
    }


def figures() -> dict[str, float]:
    """measure() in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, __file__, "--json"],
        check=True,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(OPERATOR)},
    )
    return dict(json.loads(result.stdout))


if __name__ == "__main__":
    if "--json" in sys.argv:
        print(json.dumps(measure()))
    else:
        for key, value in figures().items():
            print(key, value)
