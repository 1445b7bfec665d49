"""`inspect secret NAME`: read a tls Secret and its owning Certificate, print the report (never the key)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..core import constants
from ..core.clock import Clock, SystemClock
from ..kube.certificates import read_certificate
from ..kube.client import Kube, read_secret
from . import cluster
from .describe import NotATlsSecret, describe_tls_secret


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("inspect", help="look inside what evercert wrote")
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="KIND")
    secret = kinds.add_parser("secret", help="a tls Secret: names, issuer, serial, validity, chain, ARI")
    secret.add_argument("name", help="the Secret's name")
    cluster.add_connection_flags(secret, all_namespaces=False)
    secret.set_defaults(handler=lambda options: cluster.run(inspect_secret, options))


async def inspect_secret(kube: Kube, options: argparse.Namespace, clock: Clock | None = None) -> int:
    secret = await read_secret(kube, options.namespace, options.name)
    if secret is None:
        print(f'Error from server (NotFound): secrets "{options.name}" not found', file=sys.stderr)
        return 1
    owner = ((secret.get("metadata") or {}).get("annotations") or {}).get(
        constants.ANNOTATION_CERTIFICATE_NAME
    )
    certificate = await read_certificate(kube, options.namespace, owner) if owner else None
    try:
        report = describe_tls_secret(secret, certificate, (clock or SystemClock()).now())
    except NotATlsSecret as exc:
        print(f"error: {options.namespace}/{options.name}: {exc}", file=sys.stderr)
        return 1
    print(report)
    return 0
