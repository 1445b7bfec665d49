"""`evercert run` (the operator) and `evercert solve` (the HTTP-01 solver inside its Pod)."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import sys

from . import __version__, constants, logs
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


async def request_renewal(namespace: str, name: str) -> None:
    """`evercert renew`: ask the operator to renew now (it reissues once per new value)."""
    import datetime

    from .conditions import timestamp
    from .kube.client import Kube, annotate_certificate

    kube = await Kube.connect()
    try:
        now = timestamp(datetime.datetime.now(datetime.UTC))
        await annotate_certificate(kube, namespace, name, {constants.ANNOTATION_RENEW_REQUESTED: now})
    finally:
        await kube.close()
    print(f"renewal of {namespace}/{name} requested at {now}")


async def show_status(namespace: str, name: str) -> None:
    """`evercert status`: the Certificate's conditions and dates, readable."""
    from .kube.certificates import read_certificate
    from .kube.client import Kube

    kube = await Kube.connect()
    try:
        body = await read_certificate(kube, namespace, name)
    finally:
        await kube.close()
    if body is None:
        print(f"Certificate {namespace}/{name} not found")
        return
    status = body.get("status") or {}
    print(f"Certificate {namespace}/{name} → Secret {body['spec']['secretName']}")
    for condition in status.get("conditions") or []:
        reason, message = condition.get("reason", ""), condition.get("message", "")
        print(f"  {condition['type']}={condition['status']} {reason}: {message}")
    for field in (
        "notBefore",
        "notAfter",
        "renewalTime",
        "revision",
        "failedIssuanceAttempts",
        "nextAttemptTime",
    ):
        if status.get(field) is not None:
            print(f"  {field}: {status[field]}")


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
    for command, text in (("renew", "renew a Certificate now"), ("status", "show a Certificate's status")):
        sub = commands.add_parser(command, help=text)
        sub.add_argument("name")
        sub.add_argument("-n", "--namespace", default="default")
    options = parser.parse_args(args)
    if options.command == "run":
        return run_operator(options)
    action = request_renewal if options.command == "renew" else show_status
    asyncio.run(action(options.namespace, options.name))
    return 0
