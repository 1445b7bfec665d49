"""Operator settings read from the environment (settings.py)."""

from __future__ import annotations

import pytest

from evercert.settings import Settings


def test_the_acme_pool_has_a_thread_per_issuance_slot_and_a_few_more(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVERCERT_ACME_WORKERS", raising=False)
    monkeypatch.setenv("EVERCERT_MAX_CONCURRENT_ISSUANCES", "10")
    assert Settings.from_env().acme_workers == 18
    monkeypatch.delenv("EVERCERT_MAX_CONCURRENT_ISSUANCES")
    assert Settings.from_env().acme_workers == 40


def test_an_explicit_acme_pool_size_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVERCERT_ACME_WORKERS", "5")
    monkeypatch.setenv("EVERCERT_MAX_CONCURRENT_ISSUANCES", "10")
    assert Settings.from_env().acme_workers == 5


def test_dns01_nameservers_default_to_the_systems_and_take_a_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVERCERT_DNS01_NAMESERVERS", raising=False)
    monkeypatch.delenv("EVERCERT_DNS01_AUTHORITATIVE_PORT", raising=False)
    settings = Settings.from_env()
    assert settings.dns01_nameservers == () and settings.dns01_authoritative_port == 53
    monkeypatch.setenv("EVERCERT_DNS01_NAMESERVERS", " 192.0.2.53, [2001:db8::53]:5353 ,")
    monkeypatch.setenv("EVERCERT_DNS01_AUTHORITATIVE_PORT", "5353")
    settings = Settings.from_env()
    assert settings.dns01_nameservers == ("192.0.2.53", "[2001:db8::53]:5353")
    assert settings.dns01_authoritative_port == 5353


@pytest.mark.parametrize("server", ["dns.example.com", "192.0.2.1:0", "192.0.2.1:x"])
def test_a_dns01_nameserver_that_is_not_an_address_stops_the_start(
    monkeypatch: pytest.MonkeyPatch, server: str
) -> None:
    monkeypatch.setenv("EVERCERT_DNS01_NAMESERVERS", server)
    with pytest.raises(ValueError, match="EVERCERT_DNS01_NAMESERVERS"):
        Settings.from_env()
