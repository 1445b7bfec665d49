"""`check [--expires-within 14d]`: exit 0 when every Certificate is Ready and none expires soon, else 1.

For CI and cron: 2 means the check itself could not be made (bad flags, unreachable or refusing API).
"""

from __future__ import annotations

import argparse
import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..api.durations import parse_duration
from ..core.clock import Clock, SystemClock
from ..core.errors import InvalidSpec
from ..kube.certificates import list_certificates
from ..kube.client import Kube
from . import cluster
from .formatting import relative, short_duration
from .view import certificate_view

HEALTHY, UNHEALTHY, UNCHECKED = 0, 1, 2
DEFAULT_WINDOW = "14d"


@dataclass(frozen=True)
class Offence:
    namespace: str
    name: str
    problem: str


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "check", help="exit 1 when a Certificate is not Ready or expires soon (for CI and cron)"
    )
    parser.add_argument(
        "--expires-within",
        type=_window,
        default=DEFAULT_WINDOW,
        metavar="DURATION",
        help=f"flag certificates that expire within this time, e.g. 14d, 336h (default {DEFAULT_WINDOW})",
    )
    cluster.add_connection_flags(parser)
    parser.set_defaults(handler=lambda options: cluster.run(check, options, error_status=UNCHECKED))


def _window(text: str) -> datetime.timedelta:
    try:
        return parse_duration(text, "value")
    except InvalidSpec as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


async def check(kube: Kube, options: argparse.Namespace, clock: Clock | None = None) -> int:
    namespace = None if options.all_namespaces else options.namespace
    bodies = await list_certificates(kube, namespace)
    now = (clock or SystemClock()).now()
    found = offences(bodies, now, options.expires_within)
    for offence in found:
        print(f"{offence.namespace}/{offence.name}: {offence.problem}")
    if not found:
        window = short_duration(options.expires_within)
        print(f"{len(bodies)} Certificate(s) Ready, none expires within {window}")
    return UNHEALTHY if found else HEALTHY


def offences(
    bodies: Sequence[Mapping[str, Any]], now: datetime.datetime, within: datetime.timedelta
) -> list[Offence]:
    """The Certificates that are not Ready, or whose certificate expires before `now + within`."""
    found = []
    for body in bodies:
        view = certificate_view(body)
        problems = []
        if view.ready != "True":
            why = ": ".join(part for part in (view.reason, view.message) if part)
            problems.append(f"not Ready ({why})" if why else "not Ready")
        if view.not_after is None:
            problems.append("no certificate yet")
        elif view.not_after <= now:
            problems.append(f"expired {relative(view.not_after, now)}")
        elif view.not_after - now <= within:
            problems.append(f"expires {relative(view.not_after, now)}")
        if problems:
            found.append(Offence(view.namespace, view.name, "; ".join(problems)))
    return found
