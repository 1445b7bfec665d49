"""Prometheus metrics: plain functions taking plain values, cheap enough to call after every look.

Nothing here makes an API request; the values are read at scrape time from what was last observed.
Names follow cert-manager's (`certmanager_` -> `evercert_`), so its dashboards need only a new prefix.
"""

from __future__ import annotations

import datetime

from ..core import constants
from .acme_paths import learn_directory, path_kind
from .exposition import render
from .registry import (
    ACME_REQUESTS,
    CERTIFICATES,
    ISSUANCES,
    REGISTRY,
    SCHEDULER_IN_FLIGHT,
    SCHEDULER_QUEUE_DEPTH,
)
from .server import DEFAULT_PORT, start_server, stop_server

__all__ = [
    "DEFAULT_PORT",
    "REGISTRY",
    "forget_certificate",
    "learn_directory",
    "observe_acme_request",
    "observe_certificate",
    "observe_issuance",
    "path_kind",
    "render",
    "set_scheduler",
    "start_server",
    "stop_server",
]


def observe_certificate(
    namespace: str,
    name: str,
    issuer_kind: str,
    issuer_name: str,
    not_before: datetime.datetime | None,
    not_after: datetime.datetime | None,
    renewal_time: datetime.datetime | None,
    ready: bool | None,
    issuing: bool = False,
    issuer_group: str = constants.GROUP,
) -> None:
    """Record what a Certificate shows now (replacing what it showed before); None: not known yet."""
    CERTIFICATES.observe(
        namespace,
        name,
        issuer_kind,
        issuer_name,
        issuer_group,
        not_before,
        not_after,
        renewal_time,
        ready,
        issuing,
    )


def forget_certificate(namespace: str, name: str) -> None:
    """A deleted Certificate's series disappear from the next scrape."""
    CERTIFICATES.forget(namespace, name)


def observe_acme_request(method: str, url: str, status: int | None, seconds: float) -> None:
    """One HTTP request to an ACME server; `status` None when no answer came (counted as 999)."""
    ACME_REQUESTS.observe(method, url, status, seconds)


def observe_issuance(success: bool, reason: str) -> None:
    """One issuance attempt that ended: `reason` is why it was issued, or the failure's condition reason."""
    ISSUANCES.labels("success" if success else "failure", reason).inc()


def set_scheduler(queue_depth: int, in_flight: int) -> None:
    """The scheduler's Certificates due and waiting for a worker, and those being worked on."""
    SCHEDULER_QUEUE_DEPTH.set(queue_depth)
    SCHEDULER_IN_FLIGHT.set(in_flight)
