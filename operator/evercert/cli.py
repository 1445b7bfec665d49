"""`evercert run` (the operator) and `evercert solve` (the HTTP-01 solver inside its Pod)."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from . import __version__, logs
from .settings import Settings


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


def solve(argv: list[str]) -> int:
    from .solver.server import run_from_args

    return run_from_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["solve"]:
        return solve(args[1:])
    parser = argparse.ArgumentParser(prog="evercert", description="ACME certificates for Kubernetes")
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the operator")
    run.add_argument("--liveness", default="", help="e.g. http://0.0.0.0:8080/healthz")
    run.add_argument(
        "--peering", default="", help="kopf peering name for several replicas (default: standalone)"
    )
    commands.add_parser("solve", help="serve one HTTP-01 token (inside the solver Pod)")
    options = parser.parse_args(args)
    if options.command == "run":
        return run_operator(options)
    return 2
