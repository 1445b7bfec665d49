"""The look at a served certificate with spec.renewal.windows (certificates.look): a due renewal waits
for its window, and renews outside the windows only at its deadline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from evercert.api.certificate import parse_certificate
from evercert.certificates.look import Look, take_look
from evercert.certificates.status import RenewalInfo, parse_status
from evercert.certificates.tls_secret import SecretContents, build_tls_secret, read_contents
from evercert.core import reasons
from evercert.pki import generate_private_key, private_key_to_pem

NOT_BEFORE = datetime(2026, 1, 1, tzinfo=UTC)
NOT_AFTER = NOT_BEFORE + timedelta(days=90)
DUE = NOT_BEFORE + timedelta(days=60)  # 2026-03-02, less at most an hour of jitter
NIGHTLY = {"cron": "0 3 * * *", "timezone": "Europe/Berlin", "windowDuration": "2h"}


def body(windows: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "secretName": "web-tls",
            "dnsNames": ["www.example.org"],
            "issuerRef": {"name": "le", "kind": "ClusterIssuer"},
            "privateKey": {"algorithm": "ECDSA", "size": 256},
            "renewal": {"windows": windows},
        },
    }


@pytest.fixture
def served(make_ca: Callable[..., Any], issue_leaf: Callable[..., Any]) -> SecretContents:
    ca, key = make_ca(), generate_private_key("ECDSA", 256)
    leaf = issue_leaf(ca, key, ["www.example.org"], NOT_BEFORE, NOT_AFTER)
    secret = build_tls_secret(
        parse_certificate(body([])),
        issuer_name="le",
        issuer_kind="ClusterIssuer",
        chain_pem=leaf.public_bytes(serialization.Encoding.PEM) + ca.pem,
        key_pem=private_key_to_pem(key),
        existing=None,
        owner_reference=None,
    )
    return read_contents(secret)


@pytest.mark.parametrize(
    ("windows", "now", "reason", "renew_at"),
    [
        pytest.param([], DUE + timedelta(hours=1), reasons.RENEWING, None, id="no-windows"),
        pytest.param(
            [NIGHTLY],
            DUE + timedelta(hours=1),  # 01:00 CET: the window opens at 03:00 CET
            None,
            datetime(2026, 3, 2, 2, tzinfo=UTC),
            id="due-waits-for-the-window",
        ),
        pytest.param(
            [NIGHTLY],
            datetime(2026, 3, 2, 2, 30, tzinfo=UTC),
            reasons.RENEWING,
            datetime(2026, 3, 2, 2, 30, tzinfo=UTC),
            id="renews-inside-the-window",
        ),
        pytest.param(
            [{"cron": "0 3 1 7 *", "windowDuration": "2h"}],
            datetime(2026, 3, 18, tzinfo=UTC),  # past the deadline (2026-03-17), no window before July
            reasons.RENEWED_OUTSIDE_WINDOW,
            None,
            id="renews-outside-at-the-deadline",
        ),
    ],
)
def test_a_due_renewal_waits_for_its_window(served, windows, now, reason, renew_at) -> None:
    look = take_look(parse_certificate(body(windows)), served, parse_status({}), now)
    assert isinstance(look, Look)

    assert look.reason == reason
    if renew_at is not None:
        assert look.renew_at == renew_at


def test_a_certificate_that_is_not_fine_is_issued_at_once_whatever_the_windows(served) -> None:
    spec = parse_certificate(body([{"cron": "0 3 1 7 *", "windowDuration": "2h"}]))

    look = take_look(spec, served, parse_status({}), NOT_AFTER + timedelta(seconds=1))

    assert isinstance(look, Look)
    assert look.reason == reasons.EXPIRED


def test_the_cas_renewal_time_waits_for_the_window_too(served) -> None:
    """ARI (the CA's window, asked this pass) sets when the renewal falls due; the spec's windows still
    say when it starts."""
    serial = served.info.serial_hex
    ari = RenewalInfo(serial, DUE + timedelta(hours=6), DUE, DUE)

    look = take_look(
        parse_certificate(body([NIGHTLY])),
        served,
        parse_status({}),
        DUE + timedelta(hours=1),
        windows={serial: ari},
    )

    assert isinstance(look, Look)
    assert (look.reason, look.renew_at, look.renewal_info) == (None, datetime(2026, 3, 2, 2, tzinfo=UTC), ari)
