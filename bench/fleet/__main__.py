"""`make simulate`: print the fleet figures (e.g. `python -m bench.fleet --certificates 1000 --days 30`)
and keep them under `fleet_*` keys in bench/results/latest.json, beside the bench's own figures."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

from .simulation import Fleet, FleetSimulation

RESULTS = Path(__file__).resolve().parent.parent / "results" / "latest.json"


def run(fleet: Fleet) -> dict[str, object]:
    """The figures under their `fleet_*` keys (bench/results/latest.json), with the sizes."""
    began = time.monotonic()
    figures = FleetSimulation(fleet).run()
    return {
        **{f"fleet_{name}": value for name, value in dataclasses.asdict(figures).items()},
        "fleet_refused_total": figures.refused_total,
        "fleet_sizes": {
            "certificates": fleet.certificates,
            "days": fleet.days,
            "lifetime_days": fleet.lifetime.days,
        },
        "fleet_seconds": round(time.monotonic() - began, 1),
    }


def lines(results: dict[str, object]) -> list[str]:
    sizes = results["fleet_sizes"]
    assert isinstance(sizes, dict)
    return [
        f"fleet: {sizes['certificates']} Certificates applied at once, {sizes['days']} days, "
        f"{sizes['lifetime_days']}-day certificates (simulated in {results['fleet_seconds']} s)",
        f"  new orders per 3 h, max          {results['fleet_orders_per_3h_max']}  (limit 300; "
        f"{results['fleet_all_orders_per_3h_max']} with ARI renewals)",
        f"  refused requests                 {results['fleet_refused_total']}  (target 0) "
        f"{results['fleet_refused']}",
        f"  failed validations / name / hour {results['fleet_failed_validations_per_hostname_hour_max']}  "
        "(max; target <= 4)",
        f"  renewals after expiry            {results['fleet_renewals_after_expiry']}  (target 0)",
        f"  all first certificates after     {results['fleet_first_certificates_hours']} h  "
        f"({results['fleet_first_certificates_validating_hours']} h for names that validated)",
        f"  orders {results['fleet_orders']}, renewals {results['fleet_renewals']}, "
        f"CA outage answers {results['fleet_outage_answers']}, "
        f"waits for the quota {results['fleet_waits_for_quota']}, "
        f"failed-validation holds {results['fleet_holds']}",
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    default = Fleet()
    parser.add_argument("--certificates", type=int, default=default.certificates)
    parser.add_argument("--days", type=int, default=default.days)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--results", type=Path, default=RESULTS, help="JSON file to merge the figures into")
    options = parser.parse_args(argv)
    results = run(Fleet(certificates=options.certificates, days=options.days))
    print(json.dumps(results, indent=2) if options.json else "\n".join(lines(results)))
    merge(results, options.results)
    return 0


def merge(results: dict[str, object], path: Path) -> None:
    """Replace the fleet_* keys of the JSON at `path`, keeping every other figure in it."""
    kept = json.loads(path.read_text()) if path.exists() else {}
    kept = {key: value for key, value in kept.items() if not key.startswith("fleet_")}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**kept, **results}, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
