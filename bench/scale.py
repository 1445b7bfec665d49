"""Figure 6: 10,000 Ready Certificates. Issuing them through Pebble would take the bench an hour, so
the steady state is written directly (see seeding.py) with the operator stopped; the operator started
afterwards must find every one up to date on its own."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from measure import memory_mb, scrape, summarize
from seeding import Seeder, rate, seeded_names
from workload import create_namespace

if TYPE_CHECKING:
    from phases import Bench

NAMESPACE = "bench-seeded"
# Five times the target: a restart still busy then is reported as such (None), and the bench goes on.
SETTLE_TIMEOUT = 300


async def ten_thousand(bench: Bench) -> None:
    bench.phase("seed")
    count = max(0, bench.sizes.seeded_total - len(bench.tracker.revisions))
    bench.cluster.stop_operator()
    await create_namespace(bench.api, NAMESPACE)
    seeder, began = Seeder(bench.api), time.monotonic()
    names = seeded_names(0, count)
    await seeder.seed(NAMESPACE, names, lambda n: bench.say(f"seed: {n} written ({rate(n, began)})"))
    await bench.tracker.wait_ready([(NAMESPACE, n) for n in names], 300)
    bench.results.update(seeded_certificates=count, seed_seconds=round(time.monotonic() - began, 1))
    bench.say(f"seed: {count} Ready Certificates written in {time.monotonic() - began:.0f} s")

    bench.phase("restart-10k")
    revisions = dict(bench.tracker.revisions)
    _, orders_before = bench.pebble.counts()
    start = time.time()
    bench.cluster.start_operator()
    try:
        last = await bench.settle(since=start, timeout=SETTLE_TIMEOUT)
        settled: float | None = round(last - start, 1)
    except TimeoutError:
        last, settled = time.time(), None  # still busy: the figures below are of that moment
        bench.say(f"restart-10k: still busy after {SETTLE_TIMEOUT} s")
    bench.cluster.check_operator()
    memory = memory_mb(bench.cluster.operator_pid)
    scheduler = await scrape(bench.cluster.metrics_url(), "evercert_scheduler_")
    _, orders_after = bench.pebble.counts()
    await asyncio.sleep(1)  # status writes of a reissue would show in the tracker by now
    bumped = sum(1 for k, r in bench.tracker.revisions.items() if r > revisions.get(k, 0))
    requests = bench.audit.between(start, last + 0.001)
    bench.results.update(
        certificates_10k=len(bench.tracker.revisions),
        rss_mb_10k=memory["rss"],
        restart_settle_seconds_10k=settled,
        restart_settle_timeout_10k=SETTLE_TIMEOUT,
        restart_reissues_10k=orders_after - orders_before,
        restart_revision_increases_10k=bumped,
        restart_peak_rss_mb_10k=memory["peak"],
        restart_status_writes_10k=sum(1 for r in requests if r.resource == "certificates/status"),
        restart_api_requests_10k=len(requests),
        restart_api_requests_by_kind_10k=summarize(requests),
        scheduler_after_restart_10k=scheduler,
    )
    bench.say_results("restart_", "rss_mb_10k")
