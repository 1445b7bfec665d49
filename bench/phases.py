"""The five measurements, in the order they build on each other (one cluster, one growing workload)."""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from kubernetes_asyncio import client

from cluster import BenchCluster
from measure import AuditLog, PebbleLog, SolverPods, cpu_seconds, memory_mb, summarize, wait_idle
from workload import CertificateTracker, create_certificates, create_namespace, create_unrelated_secrets


@dataclass(frozen=True)
class Sizes:
    """How much of everything: the defaults are the issue's figures (`--quick` shrinks them)."""

    single: int = 10
    many: int = 100
    total: int = 1000
    batch: int = 100
    secrets: int = 10000
    secret_kib: int = 10
    idle_seconds: float = 300
    quiet_seconds: float = 5


def say(text: str) -> None:
    """Progress goes to stderr; the figures go to stdout at the end."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


@dataclass
class Bench:
    """One run: watchers of Certificates and solver Pods, readers of the audit and Pebble logs, results."""

    cluster: BenchCluster
    api: client.ApiClient
    sizes: Sizes
    results: dict[str, Any] = field(default_factory=dict)
    tracker: CertificateTracker = field(init=False)
    pods: SolverPods = field(init=False)
    audit: AuditLog = field(init=False)
    pebble: PebbleLog = field(init=False)
    created: int = 0

    def __post_init__(self) -> None:
        self.tracker = CertificateTracker(self.api)
        self.pods = SolverPods(self.api)
        self.audit = AuditLog(self.cluster.audit_log, self.cluster.operator_user)
        self.pebble = PebbleLog(self.cluster.pebble_log)

    async def run(self) -> dict[str, Any]:
        watchers = [asyncio.create_task(self.tracker.run()), asyncio.create_task(self.pods.run())]
        try:
            await self.single()
            await self.many()
            await self.fill()
            await self.idle()
            await self.restart()
        finally:
            for task in watchers:
                task.cancel()
        return self.results

    async def _issue(self, namespace: str, count: int, timeout: float) -> tuple[float, float]:
        """Create `count` Certificates at once; returns (start, last Ready) on the monotonic clock."""
        names = [f"c{self.created + i:04d}" for i in range(count)]
        self.created += count
        started = time.monotonic()
        await create_certificates(self.api, namespace, names)
        self.cluster.check_operator()
        last = await self.tracker.wait_ready([(namespace, n) for n in names], timeout)
        return started, last

    async def _settle(self, since: float | None = None, timeout: float = 300) -> float:
        """Wait until the operator is idle (see wait_idle); returns when it was last active."""
        pid, quiet = self.cluster.operator_pid, self.sizes.quiet_seconds
        return await wait_idle(self.audit, pid, since or time.time(), quiet, timeout)

    def _cpu(self) -> dict[str, float]:
        """CPU seconds used so far by each server; the solver host's include its solver processes."""
        return {
            name: cpu_seconds(pid, children=name == "solverhost")
            for name, pid in self.cluster.processes().items()
        }

    async def single(self) -> None:
        """Figure 1: apply → Ready, one Certificate at a time."""
        self.results["rss_mb_start"] = memory_mb(self.cluster.operator_pid)["rss"]
        await create_namespace(self.api, "bench-single")
        requests_before, _ = self.pebble.counts()
        took = []
        for _ in range(self.sizes.single):
            started, ready = await self._issue("bench-single", 1, 60)
            took.append(ready - started)
            await asyncio.sleep(0.5)  # let the operator finish its Event and clean-up before the next
        requests_after, _ = self.pebble.counts()
        self.results.update(
            ready_seconds_median=round(statistics.median(took), 2),
            ready_seconds_max=round(max(took), 2),
            ready_seconds_all=[round(t, 2) for t in took],
            acme_requests_per_single_certificate=round((requests_after - requests_before) / len(took), 1),
        )
        say(f"single: median {statistics.median(took):.2f} s, all {[round(t, 2) for t in took]}")

    async def many(self) -> None:
        """Figure 2: many Certificates at once → all Ready; solver Pods alive at the peak; ACME requests."""
        await create_namespace(self.api, "bench-many")
        await self._settle()
        requests_before, orders_before = self.pebble.counts()
        cpu_before = self._cpu()
        self.pods.reset_peak()
        started, last = await self._issue("bench-many", self.sizes.many, 600)
        requests_after, orders_after = self.pebble.counts()
        cpu = {name: round(seconds - cpu_before.get(name, 0), 1) for name, seconds in self._cpu().items()}
        count = self.sizes.many
        times = sorted(t - started for (ns, _), t in self.tracker.ready_at.items() if ns == "bench-many")
        self.results.update(
            hundred_ready_seconds=round(last - started, 1),
            hundred_first_ready_seconds=round(times[0], 1),
            hundred_median_ready_seconds=round(statistics.median(times), 1),
            peak_solver_pods=self.pods.peak,
            acme_requests_per_certificate=round((requests_after - requests_before) / count, 1),
            acme_orders_per_certificate=round((orders_after - orders_before) / count, 2),
            hundred_cpu_seconds_by_process=cpu,
            operator_cpu_seconds_per_certificate=round(cpu["operator"] / count, 3),
        )
        say(f"many: {count} Ready in {last - started:.1f} s, peak solver Pods {self.pods.peak}")

    async def fill(self) -> None:
        """Issue the rest of the `total` Certificates for real, in batches, then RSS at rest (figure 3)."""
        await create_namespace(self.api, "bench-rest")
        remaining = self.sizes.total - self.created
        started = time.monotonic()
        while remaining > 0:
            count = min(self.sizes.batch, remaining)
            await self._issue("bench-rest", count, 600)
            remaining -= count
            say(f"fill: {self.created} Certificates Ready ({time.monotonic() - started:.0f} s)")
        self.results["fill_seconds"] = round(time.monotonic() - started, 1)
        await self._settle()
        memory = memory_mb(self.cluster.operator_pid)
        self.results.update(
            certificates_ready=len(self.tracker.ready_at),
            rss_mb_1k=memory["rss"],
            rss_peak_mb_while_issuing=memory["peak"],
        )
        say(f"rest: RSS {memory['rss']} MB with {len(self.tracker.ready_at)} Ready Certificates")

    async def idle(self) -> None:
        """Figures 4 and 3 (second half): the operator at rest while unrelated Secrets appear.

        They are none of its business: no API request (watches aside), and no memory for them."""
        await create_namespace(self.api, "bench-noise")
        start = time.time()
        await create_unrelated_secrets(self.api, "bench-noise", self.sizes.secrets, self.sizes.secret_kib)
        created = time.time()
        # At least a little while after the last Secret, for whatever the operator would do about them.
        await asyncio.sleep(max(start + self.sizes.idle_seconds, created + 10) - time.time())
        end = time.time()
        self.cluster.check_operator()
        memory = memory_mb(self.cluster.operator_pid)
        requests = self.audit.between(start, end)
        before = self.results["rss_mb_1k"]
        self.results.update(
            idle_seconds=round(end - start),
            idle_api_requests=len(requests),
            idle_api_requests_by_kind=summarize(requests),
            secrets_create_seconds=round(created - start, 1),
            rss_mb_1k_with_secrets=memory["rss"],
            secrets_rss_increase_percent=round(100 * (memory["rss"] - before) / before, 1),
        )
        say(f"idle: {len(requests)} API requests in {end - start:.0f} s {summarize(requests)}")
        say(f"secrets: RSS {memory['rss']} MB with {self.sizes.secrets} unrelated Secrets")

    async def restart(self) -> None:
        """Figure 5: a new operator process with everything Ready: time to idle, reissues started."""
        revisions = dict(self.tracker.revisions)
        _, orders_before = self.pebble.counts()
        self.cluster.stop_operator()
        start = time.time()
        self.cluster.start_operator()
        last = await self._settle(since=start)
        self.cluster.check_operator()
        _, orders_after = self.pebble.counts()
        await asyncio.sleep(1)  # status writes of a reissue would show in the tracker by now
        bumped = sum(1 for k, r in self.tracker.revisions.items() if r > revisions.get(k, 0))
        requests = self.audit.between(start, last + 0.001)
        # Each Certificate's first look reads its Secret: how many of them were looked at.
        checked = {r.path for r in requests if r.verb == "get" and r.path.endswith("-tls")}
        self.results.update(
            restart_settle_seconds=round(last - start, 1),
            restart_certificates_checked=len(checked),
            restart_reissues=orders_after - orders_before,
            restart_revision_increases=bumped,
            restart_api_requests=len(requests),
            restart_api_requests_by_kind=summarize(requests),
            rss_mb_after_restart=memory_mb(self.cluster.operator_pid)["rss"],
        )
        say(f"restart: idle after {last - start:.1f} s, {orders_after - orders_before} new orders")
