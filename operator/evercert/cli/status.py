"""`status [-n NS | -A] [NAME]`: Certificates as a `kubectl get` table, with the reason and next renewal,
and the DNS-01 challenges in flight (name, record, what the propagation check saw)."""

from __future__ import annotations

import argparse
import datetime
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from ..certificates.status import parse_status
from ..core import constants
from ..core.clock import Clock, SystemClock
from ..kube.certificates import list_certificates, read_certificate
from ..kube.client import Kube, answer, read_secret
from ..solver.presenting import solver_selector
from . import cluster
from .detail import certificate_report
from .formatting import NONE, relative, short_duration, table
from .view import CertificateView, certificate_view

HEADERS = ("NAME", "READY", "SECRET", "ISSUER", "EXPIRES", "RENEWS", "REASON", "AGE")
WIDE_HEADERS = ("REVISION", "MESSAGE")


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("status", help="show Certificates: ready, expiry, next renewal")
    parser.add_argument(
        "name",
        nargs="?",
        help="one Certificate in depth: Secret, order, solvers, Events (default: a table of all)",
    )
    parser.add_argument("-o", "--output", choices=("wide",), help="wide: also the revision and message")
    cluster.add_connection_flags(parser)
    parser.set_defaults(handler=lambda options: cluster.run(show, options))


async def show(kube: Kube, options: argparse.Namespace, clock: Clock | None = None) -> int:
    namespace = None if options.all_namespaces else options.namespace
    if options.name:
        body = await read_certificate(kube, options.namespace, options.name)
        if body is None:
            print(_not_found(options.namespace, options.name), file=sys.stderr)
            return 1
        if options.output != "wide":
            print(await _in_depth(kube, body, (clock or SystemClock()).now()))
            pending = dns_challenges_table([body])
            if pending:
                print(f"\nDNS-01 challenges in flight:\n{pending}")
            return 0
        bodies = [body]
    else:
        bodies = await list_certificates(kube, namespace)
    if not bodies:
        where = "any namespace" if namespace is None else f"{namespace} namespace"
        print(f"No Certificates found in {where}.", file=sys.stderr)
        return 0
    now = (clock or SystemClock()).now()
    print(status_table(bodies, now, all_namespaces=namespace is None, wide=options.output == "wide"))
    pending = dns_challenges_table(bodies)
    if pending:
        print(f"\nDNS-01 challenges in flight:\n{pending}")
    return 0


DNS_HEADERS = ("CERTIFICATE", "NAME", "RECORD", "VALUE", "SEEN")


def dns_challenges_table(bodies: Sequence[Mapping[str, Any]]) -> str:
    """One row per TXT value a Certificate's order has in place ("" when none)."""
    rows = []
    for body in bodies:
        order = parse_status(body.get("status")).order
        meta = body.get("metadata") or {}
        for record in order.dns_records if order else ():
            seen = record.seen or "not checked yet, or served everywhere"
            where = f"{meta.get('namespace')}/{meta.get('name')}"
            rows.append([where, record.dns_name, f"{record.fqdn} TXT", record.value, seen])
    return table(DNS_HEADERS, rows) if rows else ""


def status_table(
    bodies: Sequence[Mapping[str, Any]], now: datetime.datetime, *, all_namespaces: bool, wide: bool
) -> str:
    headers = (("NAMESPACE",) if all_namespaces else ()) + HEADERS + (WIDE_HEADERS if wide else ())
    rows = []
    for body in bodies:
        view = certificate_view(body)
        row = status_row(view, now)
        if all_namespaces:
            row = [view.namespace, *row]
        if wide:
            row += [_or_none(view.revision), view.message or NONE]
        rows.append(row)
    return table(headers, rows)


def status_row(view: CertificateView, now: datetime.datetime) -> list[str]:
    """NAME, READY, SECRET, ISSUER, EXPIRES, RENEWS, REASON, AGE of one Certificate."""
    return [
        view.name,
        view.ready,
        view.secret_name or NONE,
        view.issuer_name or NONE,
        relative(view.not_after, now),
        relative(view.renewal_time, now),
        view.reason or NONE,
        short_duration(now - view.created) if view.created else NONE,
    ]


async def _in_depth(kube: Kube, body: Mapping[str, Any], now: datetime.datetime) -> str:
    """The Certificate, its Secret, its solver objects and its last Events (see detail.py)."""
    namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
    secret_name = (body.get("spec") or {}).get("secretName")
    secret = await read_secret(kube, namespace, secret_name) if secret_name else None
    selector = solver_selector(name)
    solvers = []
    for kind, call in (
        ("Pod", kube.core.list_namespaced_pod),
        ("Service", kube.core.list_namespaced_service),
        ("Ingress", kube.networking.list_namespaced_ingress),
    ):
        listed = await answer(call(namespace, label_selector=selector, _preload_content=False))
        solvers += [{"kind": kind, **item} for item in listed.get("items") or []]
    events = await answer(
        kube.core.list_namespaced_event(
            namespace,
            field_selector=f"involvedObject.name={name},involvedObject.kind={constants.CERTIFICATE_KIND}",
            _preload_content=False,
        )
    )
    return certificate_report(body, secret, solvers, events.get("items") or [], now)


def _or_none(value: object) -> str:
    return NONE if value is None else str(value)


def _not_found(namespace: str, name: str) -> str:
    return f'Error from server (NotFound): certificates.evercert.dev "{name}" not found in {namespace}'
