"""`evercert run` (the operator) and `evercert solve` (the HTTP-01 solver inside its Pod)."""

from __future__ import annotations

import argparse
import importlib
import logging
from typing import Any

from .. import __version__, logs
from ..settings import Settings


def add_parsers(commands: Any) -> None:
    run = commands.add_parser("run", help="run the operator")
    run.add_argument("--liveness", default="", help="e.g. http://0.0.0.0:8080/healthz")
    run.add_argument(
        "--peering", default="", help="kopf peering name for several replicas (default: standalone)"
    )
    run.set_defaults(handler=run_operator)
    # Listed for --help only: main() hands `solve` its arguments before any parsing.
    commands.add_parser("solve", help="serve one HTTP-01 token (inside the solver Pod)")


def run_operator(options: argparse.Namespace) -> int:
    import kopf

    settings = Settings.from_env()
    logs.configure(settings.log_format, settings.log_level)
    importlib.import_module("evercert.handlers")
    logging.getLogger(__name__).info("starting evercert", extra={"version": __version__})
    kopf.run(
        standalone=not options.peering,
        peering_name=options.peering or None,
        clusterwide=not settings.namespaces,
        namespaces=list(settings.namespaces),
        liveness_endpoint=options.liveness or None,
    )
    return 0
