"""Renewal windows against the real kube-apiserver and Pebble: a renewal that falls due waits for the
next window of its time zone and happens in it, with the restart of a workload that follows it; windows
that never open are refused.

The operator runs on the real clock, so the window is set a little ahead of the wall clock. Nothing is
asserted about how soon things happen, only their order: the renewal and the restart are first seen
after the window opened (they cannot be seen before they happen). Pebble's renewal information would
move the renewal to its own window, so the CA is reached through a proxy that hides ARI, and the
Certificate's renewBefore makes the renewal fall due seconds after issuance."""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from evercert.conditions import parse_timestamp, timestamp
from evercert_devenv.environment import LocalEnvironment
from evercert_devenv.processes import Server

from ..support.cluster import condition, get
from ..support.waiting import wait_for
from .caproxy import CaProxy
from .helpers import certificate, event_reasons, serial, tls_data, wait_ready
from .test_reload import SERIALS, deployment, serial_hex

ZONE = "Asia/Kathmandu"  # UTC+05:45: the window's hour and minute are not the UTC ones
LIFETIME = datetime.timedelta(days=90)  # Pebble's default profile
DUE_AFTER = datetime.timedelta(seconds=10)
AHEAD = datetime.timedelta(seconds=40)  # issuance comes first, and well before the renewal is due


@pytest.fixture
def without_ari(env: LocalEnvironment) -> Iterator[CaProxy]:
    proxy = CaProxy(env.pebble, env.pebble.ca, without_renewal_info=True)
    yield proxy
    proxy.stop()


def next_window_start() -> datetime.datetime:
    """The first whole minute at least AHEAD from now, in UTC."""
    soon = datetime.datetime.now(datetime.UTC) + AHEAD + datetime.timedelta(minutes=1)
    return soon.replace(second=0, microsecond=0)


def test_a_due_renewal_waits_for_its_window_and_the_restart_comes_with_it(
    env: LocalEnvironment, operator: Server, namespace: str, without_ari: CaProxy
) -> None:
    env.apply(without_ari.issuer("plain", namespace))
    wait_for(lambda: condition(env, "issuer", namespace, "plain", "Ready") == "True", 60, "Issuer Ready")
    opens = next_window_start()
    local = opens.astimezone(ZoneInfo(ZONE))
    window = {"cron": f"{local.minute} {local.hour} * * *", "timezone": ZONE, "windowDuration": "30m"}
    renew_before = f"{int((LIFETIME - DUE_AFTER).total_seconds())}s"
    env.apply(
        certificate(
            namespace,
            "nightly",
            ["nightly.example.org"],
            issuer="plain",
            kind="Issuer",
            renewBefore=renew_before,
            renewal={"windows": [window]},
        )
    )
    wait_ready(env, namespace, "nightly", process=operator)
    first = serial(tls_data(env, namespace, "nightly-tls")[0])
    env.apply(deployment(namespace, "web", "nightly-tls", "nightly-tls"))

    status = (get(env, "certificate", namespace, "nightly") or {})["status"]
    due = parse_timestamp(status["notAfter"]) - (LIFETIME - DUE_AFTER)
    assert due is not None and due < opens, "the renewal was not due before the window opened"
    assert status["renewalTime"] == timestamp(opens), "the renewal time is not the window's start"

    def renewed() -> float | None:
        return time.time() if serial(tls_data(env, namespace, "nightly-tls")[0]) != first else None

    seen_at = wait_for(renewed, (opens - due).total_seconds() + 90, "the renewal in the window", operator)
    assert seen_at >= opens.timestamp(), "renewed before the window opened"

    def restarted() -> float | None:
        template = (get(env, "deployment", namespace, "web") or {})["spec"]["template"]
        followed = (template["metadata"].get("annotations") or {}).get(SERIALS) or ""
        return time.time() if serial_hex(env, namespace, "nightly-tls") in followed else None

    assert wait_for(restarted, 30, "the restart for the renewal", operator) >= opens.timestamp()
    wait_ready(env, namespace, "nightly", process=operator)
    assert "RenewedOutsideWindow" not in event_reasons(env, namespace, "nightly")


def test_windows_that_never_open_are_refused(env: LocalEnvironment, operator: Server, namespace: str) -> None:
    never = {"cron": "0 0 30 2 *", "timezone": ZONE, "windowDuration": "1h"}  # 30 February
    env.apply(certificate(namespace, "never", ["never.example.org"], renewal={"windows": [never]}))

    def refused() -> dict[str, str] | None:
        cert = get(env, "certificate", namespace, "never") or {}
        conditions = (cert.get("status") or {}).get("conditions") or []
        ready = next((c for c in conditions if c["type"] == "Ready"), None)
        return ready if ready and ready["reason"] == "InvalidSpec" else None

    ready = wait_for(refused, 30, "Ready=False InvalidSpec", operator)
    assert ready["status"] == "False" and "spec.renewal.windows never open" in ready["message"]
    assert "InvalidSpec" in event_reasons(env, namespace, "never")
    assert get(env, "secret", namespace, "never-tls") is None, "a certificate was issued anyway"
