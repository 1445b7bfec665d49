"""`make bench`: how fast and how small evercert is, against a real apiserver and Pebble on this machine.

Prints one figure per line (with its target and the core count) and writes bench/results/latest.json.
`--quick` runs small sizes for trying things out; every size has its own flag.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import dns01
import failover
import formats_figures
import metrics_figures
import migration
import report
import scale
from cluster import BenchCluster
from evercert_devenv.environment import LocalEnvironment
from evercert_devenv.processes import stop_on_signals
from fleet.__main__ import run as simulate_fleet
from fleet.simulation import Fleet
from phases import Bench, Sizes, say

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
# After the phases of phases.py, in this order.
LATER_PHASES = {
    "failover": failover.leader,
    "shards": failover.shards,
    "ten_thousand": scale.ten_thousand,
    "dns01": dns01.dns01,
    "migrate": migration.migrate_1k,
}
QUICK = Sizes(
    single=3,
    many=20,
    thousand=60,
    secrets=500,
    idle_seconds=20,
    failover=10,
    shard_certificates=20,
    seeded_total=500,
    dns01_single=3,
    dns01_many=20,
    migrate=60,
)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    default = Sizes()
    parser.add_argument("--quick", action="store_true", help="small sizes, about two minutes")
    parser.add_argument("--single", type=int, help=f"Certificates timed one by one ({default.single})")
    parser.add_argument("--many", type=int, help=f"Certificates applied at once ({default.many})")
    parser.add_argument("--many-runs", type=int, help=f"bursts of --many ({default.many_runs})")
    parser.add_argument(
        "--thousand", type=int, help=f"Certificates applied at once later ({default.thousand})"
    )
    parser.add_argument("--failover", type=int, help=f"issuing when the leader dies ({default.failover})")
    parser.add_argument(
        "--shard-certificates",
        type=int,
        help=f"issuing when a shard holder dies ({default.shard_certificates})",
    )
    parser.add_argument(
        "--seeded-total", type=int, help=f"Ready Certificates, the rest seeded ({default.seeded_total})"
    )
    parser.add_argument(
        "--dns01-single",
        type=int,
        help=f"wildcard Certificates over DNS-01 one by one ({default.dns01_single})",
    )
    parser.add_argument(
        "--dns01-many", type=int, help=f"wildcard Certificates over DNS-01 at once ({default.dns01_many})"
    )
    parser.add_argument(
        "--phases",
        type=lambda text: tuple(text.split(",")),
        help="only these steps, comma-separated: single,many,profile,thousand,idle,restart,"
        "failover,shards,ten_thousand,dns01,migrate (the figures of an earlier step may be missing then)",
    )
    parser.add_argument(
        "--migrate", type=int, help=f"cert-manager Certificates moved by migrate ({default.migrate})"
    )
    parser.add_argument("--no-profile", dest="profile", action="store_false", default=None, help="no py-spy")
    parser.add_argument("--secrets", type=int, help=f"unrelated Secrets ({default.secrets})")
    parser.add_argument("--secret-kib", type=int, help=f"size of each ({default.secret_kib} KiB)")
    parser.add_argument("--idle-seconds", type=float, help=f"idle window ({default.idle_seconds:g} s)")
    parser.add_argument(
        "--quiet-seconds",
        type=float,
        help=f"idle = no operator request for this long ({default.quiet_seconds:g} s)",
    )
    parser.add_argument(
        "--operator-env", action="append", default=[], metavar="NAME=VALUE", help="extra operator env"
    )
    parser.add_argument("--workdir", type=Path, help="keep the environment's files here (default: temp)")
    parser.add_argument("--results", type=Path, default=RESULTS, help=f"JSON output ({RESULTS.name})")
    return parser.parse_args(argv)


def sizes(options: argparse.Namespace) -> Sizes:
    base = QUICK if options.quick else Sizes()
    given = {
        name: getattr(options, name)
        for name in Sizes.__dataclass_fields__
        if getattr(options, name, None) is not None
    }
    return Sizes(**{**base.__dict__, **given})


async def measure(cluster: BenchCluster, chosen: Sizes) -> dict[str, object]:
    api = await cluster.api_client()
    try:
        return await Bench(cluster, api, chosen, later=LATER_PHASES).run()
    finally:
        await api.close()


def main(argv: list[str]) -> int:
    options = parse(argv)
    stop_on_signals()  # SIGTERM or SIGHUP: every process the bench started stops with it
    chosen = sizes(options)
    workdir = options.workdir or Path(tempfile.mkdtemp(prefix="evercert-bench-"))
    extra_env = dict(item.split("=", 1) for item in options.operator_env)
    began = time.monotonic()
    load_before = os.getloadavg()[0]
    say(f"starting the local environment in {workdir}")
    try:
        with LocalEnvironment(workdir) as env:
            cluster = BenchCluster(env, extra_env)
            cluster.prepare()
            say(f"environment up in {env.started_in:.1f} s, operator ready {time.monotonic() - began:.1f} s")
            results = asyncio.run(measure(cluster, chosen))
    except BaseException:
        say(f"failed; the logs are kept in {workdir}")
        raise
    if options.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    say("measuring the metrics with 1,000 Certificates (in a process of their own)")
    results = {
        "cores": os.cpu_count(),
        **results,
        **metrics_figures.figures(),
        **formats_figures.figures(),  # the outputs' extra CPU per issuance (no cluster)
        **simulate_fleet(Fleet()),  # the fleet simulation's figures (make simulate), fleet_* keys
        "sizes": chosen.__dict__,
        "operator_env": extra_env,
        "bench_seconds": round(time.monotonic() - began, 1),
        # Other work on the machine skews the figures: the 1-minute load average before and after.
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    report.write(results, options.results)
    print("\n".join(report.lines(results)))
    print(f"(all figures: {options.results}; took {results['bench_seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
