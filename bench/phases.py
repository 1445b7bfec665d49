"""The five measurements, in the order they build on each other (one cluster, one growing workload)."""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from kubernetes_asyncio import client

import profiling
from cluster import BenchCluster
from evercert.scheduling.settings import MAX_CONCURRENT_ISSUANCES_DEFAULT
from measure import AuditLog, PebbleLog, SolverPods, cpu_seconds, memory_mb, summarize, wait_idle
from workload import CertificateTracker, create_certificates, create_namespace, create_unrelated_secrets

RSA_KEY = {"algorithm": "RSA", "size": 2048}


@dataclass(frozen=True)
class Sizes:
    """How much of everything: the defaults are the issue's figures (`--quick` shrinks them)."""

    single: int = 10
    many: int = 100
    many_runs: int = 3
    thousand: int = 1000
    secrets: int = 10000
    secret_kib: int = 10
    idle_seconds: float = 300
    quiet_seconds: float = 5
    failover: int = 50
    shard_certificates: int = 100
    seeded_total: int = 10000
    dns01_single: int = 5
    dns01_many: int = 100
    migrate: int = 1000  # cert-manager Certificates moved by `kubectl evercert migrate`
    profile: bool = True
    phases: tuple[str, ...] = ()  # only these steps (names as in Bench.run); () runs them all


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
    # The phases that run after `restart` (failover, shards, ten_thousand), by name: given by the
    # caller, so that their modules can name this class without an import cycle.
    later: Mapping[str, Callable[[Bench], Awaitable[None]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tracker = CertificateTracker(self.api)
        self.pods = SolverPods(self.api)
        self.audit = AuditLog(self.cluster.audit_log, self.cluster.operator_user)
        self.pebble = PebbleLog(self.cluster.pebble_log)

    async def run(self) -> dict[str, Any]:
        watchers = [asyncio.create_task(self.tracker.run()), asyncio.create_task(self.pods.run())]
        steps = {
            "single": self.single,
            "many": self.many,
            "profile": self.profile_many,
            "thousand": self.thousand,
            "idle": self.idle,
            "restart": self.restart,
            **{name: partial(phase, self) for name, phase in self.later.items()},
        }
        unknown = set(self.sizes.phases) - set(steps)
        if unknown:
            raise ValueError(f"unknown phases {sorted(unknown)}; choose from {list(steps)}")
        try:
            for name, step in steps.items():
                if not self.sizes.phases or name in self.sizes.phases:
                    await step()
        finally:
            for task in watchers:
                task.cancel()
        return self.results

    @property
    def concurrency(self) -> int:
        """The operator's limit on issuances at once (the bench's setting, else the default)."""
        value = self.cluster.operator_env.get("EVERCERT_MAX_CONCURRENT_ISSUANCES")
        return int(value) if value else MAX_CONCURRENT_ISSUANCES_DEFAULT

    def phase(self, name: str) -> None:
        """Other work on this machine skews the figures: the load average before each phase."""
        load = round(os.getloadavg()[0], 2)
        self.results.setdefault("load_before", {})[name] = load
        say(f"{name}: load average {load} before the phase")

    async def apply(self, namespace: str, count: int, private_key: dict[str, Any] | None = None) -> list[str]:
        """Create `count` new Certificates at once in `namespace`; returns their names."""
        names = [f"c{self.created + i:04d}" for i in range(count)]
        self.created += count
        await create_namespace(self.api, namespace)
        await create_certificates(self.api, namespace, names, private_key)
        return names

    async def _issue(
        self, namespace: str, count: int, timeout: float, private_key: dict[str, Any] | None = None
    ) -> tuple[float, float]:
        """Create `count` Certificates at once; returns (start, last Ready) on the monotonic clock."""
        started = time.monotonic()
        names = await self.apply(namespace, count, private_key)
        self.cluster.check_operator()
        last = await self.tracker.wait_ready([(namespace, n) for n in names], timeout)
        return started, last

    async def settle(self, since: float | None = None, timeout: float = 300) -> float:
        """Wait until the operator is idle (see wait_idle); returns when it was last active."""
        pid, quiet = self.cluster.operator_pid, self.sizes.quiet_seconds
        return await wait_idle(self.audit, pid, since or time.time(), quiet, timeout)

    say = staticmethod(say)

    def say_results(self, *prefixes: str) -> None:
        say(", ".join(f"{k} {v}" for k, v in self.results.items() if k.startswith(prefixes)))

    def _cpu(self) -> dict[str, float]:
        """CPU seconds used so far by each server; the solver host's include its solver processes."""
        return {
            name: cpu_seconds(pid, children=name == "solverhost")
            for name, pid in self.cluster.processes().items()
        }

    async def single(self) -> None:
        """Figure 1: apply → Ready, one Certificate at a time."""
        self.phase("single")
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
        """Figure 2, `many_runs` times: many Certificates at once → first and all Ready; solver Pods at
        the peak; ACME requests; CPU seconds of each process over all runs."""
        took, first, peaks, cpu_total = [], [], [], {}
        requests_before, orders_before = self.pebble.counts()
        for run in range(1, self.sizes.many_runs + 1):
            self.phase(f"many-{run}")
            started, last, cpu = await self._burst(f"bench-many-{run}")
            times = sorted(
                t - started for (ns, _), t in self.tracker.ready_at.items() if ns == f"bench-many-{run}"
            )
            took.append(round(last - started, 1))
            first.append(round(times[0], 1))
            peaks.append(self.pods.peak)
            cpu_total = {k: round(cpu_total.get(k, 0) + v, 1) for k, v in cpu.items()}
            say(
                f"many: {self.sizes.many} Ready in {last - started:.1f} s (first {times[0]:.1f} s), "
                f"peak solver Pods {self.pods.peak}, CPU {cpu}"
            )
        requests_after, orders_after = self.pebble.counts()
        count = self.sizes.many * self.sizes.many_runs
        self.results.update(
            hundred_ready_seconds=round(statistics.median(took), 1),
            hundred_ready_seconds_max=max(took),
            hundred_ready_seconds_all=took,
            hundred_first_ready_seconds=max(first),
            hundred_first_ready_seconds_all=first,
            peak_solver_pods=max(peaks),
            acme_requests_per_certificate=round((requests_after - requests_before) / count, 1),
            acme_orders_per_certificate=round((orders_after - orders_before) / count, 2),
            hundred_cpu_seconds_by_process=cpu_total,
            operator_cpu_seconds_per_certificate=round(cpu_total["operator"] / count, 3),
            operator_cpu_per_apiserver_cpu=round(cpu_total["operator"] / cpu_total["kube-apiserver"], 2),
        )
        # The same burst once more with RSA 2048 keys (~35 ms each instead of ECDSA P-256's ~0.1 ms):
        # what choosing RSA costs.
        self.phase("many-rsa")
        _, _, cpu = await self._burst("bench-many-rsa", RSA_KEY)
        self.results.update(
            hundred_cpu_seconds_by_process_rsa=cpu,
            operator_cpu_per_apiserver_cpu_rsa=round(cpu["operator"] / cpu["kube-apiserver"], 2),
        )
        say(f"many-rsa: CPU {cpu}")

    async def _burst(
        self, namespace: str, private_key: dict[str, Any] | None = None
    ) -> tuple[float, float, dict[str, float]]:
        """`many` Certificates at once in a namespace of their own: (start, last Ready, CPU by process)."""
        await create_namespace(self.api, namespace)
        await self.settle()
        cpu_before = self._cpu()
        self.pods.reset_peak()
        started, last = await self._issue(namespace, self.sizes.many, 600, private_key)
        cpu = {name: round(seconds - cpu_before.get(name, 0), 1) for name, seconds in self._cpu().items()}
        return started, last, cpu

    async def profile_many(self) -> None:
        """One more burst with py-spy sampling the operator (not counted in the figures above)."""
        if not self.sizes.profile:
            return
        self.phase("profile")
        recording = profiling.Profile(self.cluster.operator_pid, self.cluster.env.workdir / "profile.txt")
        if not recording.start():
            say("profile: py-spy is not installed (pip install py-spy); skipped")
            return
        try:
            started, last, cpu = await self._burst("bench-profile")
        finally:
            recording.stop()
        summary = profiling.summarize(recording.output)
        self.results["profile_many"] = {"ready_seconds": round(last - started, 1), "cpu": cpu, **summary}
        say(f"profile: {summary['samples']} samples; own time {summary['own_percent'][:8]}")
        say(f"profile: evercert (inclusive) {summary['evercert_inclusive_percent'][:10]}")

    async def thousand(self) -> None:
        """Figure 3: `thousand` Certificates at once → all Ready, solver Pods at the peak; RSS at rest."""
        self.phase("thousand")
        # A fresh Pebble: its store then holds only this phase's authorizations (Pebble 2.10.3 can
        # deadlock between an authorization's lock and its store's, likelier the more it keeps, see
        # README); one Certificate first, so the account is registered again before the clock starts.
        await asyncio.to_thread(self.cluster.env.pebble.restart)
        await self._issue("bench-fresh-ca", 1, 120)
        await create_namespace(self.api, "bench-rest")
        await self.settle()
        self.pods.reset_peak()
        cpu_before = self._cpu()
        started, last = await self._issue("bench-rest", self.sizes.thousand, 900)
        cpu = {name: round(seconds - cpu_before.get(name, 0), 1) for name, seconds in self._cpu().items()}
        self.results.update(
            thousand_cpu_seconds_by_process=cpu,
            thousand_ready_seconds=round(last - started, 1),
            thousand_peak_solver_pods=self.pods.peak,
            max_concurrent_issuances=self.concurrency,
        )
        say(
            f"thousand: {self.sizes.thousand} Ready in {last - started:.1f} s, "
            f"peak solver Pods {self.pods.peak}"
        )
        await self.settle()
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
        self.phase("idle")
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
        self.phase("restart")
        revisions = dict(self.tracker.revisions)
        _, orders_before = self.pebble.counts()
        self.cluster.stop_operator()
        start = time.time()
        self.cluster.start_operator()
        last = await self.settle(since=start)
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
