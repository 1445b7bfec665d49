"""`renew NAME | --all | -l SELECTOR`: ask the operator to renew now; it reissues once per new annotation."""

from __future__ import annotations

import argparse
from typing import Any

from ..conditions import timestamp
from ..core import constants
from ..core.clock import Clock, SystemClock
from ..kube.certificates import list_certificates
from ..kube.client import Kube, annotate_certificate
from . import cluster


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("renew", help="renew Certificates now")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("name", nargs="?", help="the Certificate to renew")
    target.add_argument("--all", action="store_true", help="every Certificate in the namespace (or with -A)")
    target.add_argument(
        "-l", "--selector", help="the Certificates with these labels, e.g. team=web (or with -A)"
    )
    cluster.add_connection_flags(parser)
    parser.set_defaults(handler=lambda options: _checked(parser, options))


def _checked(parser: argparse.ArgumentParser, options: argparse.Namespace) -> int:
    if options.all_namespaces and not (options.all or options.selector):
        parser.error("-A needs --all or -l")
    return cluster.run(renew, options)


async def renew(kube: Kube, options: argparse.Namespace, clock: Clock | None = None) -> int:
    if options.all or options.selector:
        namespace = None if options.all_namespaces else options.namespace
        bodies = await list_certificates(kube, namespace, options.selector)
        targets = [(body["metadata"]["namespace"], body["metadata"]["name"]) for body in bodies]
    else:
        targets = [(options.namespace, options.name)]
    requested_at = timestamp((clock or SystemClock()).now())
    for namespace, name in targets:
        await annotate_certificate(
            kube, namespace, name, {constants.ANNOTATION_RENEW_REQUESTED: requested_at}
        )
        print(f"certificate.evercert.dev/{name} renewal requested in {namespace} at {requested_at}")
    if not targets:
        print("No Certificates to renew.")
    return 0
