"""The propagation check: every authoritative nameserver must serve the value; polled with a growing
pause on the injected clock, bounded by the deadline, reporting what is missing when that changes."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import pytest

from evercert.core.errors import Dns01PropagationFailed
from evercert.dns01.lookups import Nameserver
from evercert.dns01.propagation import Lacking, wait_until_served
from tests.support.clock import ManualClock

NS1 = Nameserver("ns1.example.com.", "192.0.2.1", 53)
NS2 = Nameserver("ns2.example.com.", "192.0.2.2", 53)
FQDN = "_acme-challenge.example.com."


class Servers:
    """Nameservers that start serving the value after a number of questions each."""

    def __init__(self, clock: ManualClock, ready_after: dict[Nameserver, int]) -> None:
        self.clock = clock
        self.ready_after = ready_after
        self.asked: dict[Nameserver, int] = {}
        self.pauses: list[float] = []
        self.reports: list[list[str]] = []

    async def ask(self, fqdn: str, server: Nameserver) -> tuple[set[str], str]:
        self.asked[server] = self.asked.get(server, 0) + 1
        if self.asked[server] > self.ready_after[server]:
            return {"other", "value"}, "2 TXT values"
        return {"other"}, "1 TXT value, not this one"

    async def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.clock.advance(seconds)

    async def report(self, lacking: Sequence[Lacking]) -> None:
        self.reports.append([str(item.server) for item in lacking])


async def test_returns_at_once_when_every_server_serves_the_value() -> None:
    clock = ManualClock()
    servers = Servers(clock, {NS1: 0, NS2: 0})
    deadline = clock.now() + datetime.timedelta(seconds=10)
    await wait_until_served(
        [(FQDN, "value", [NS1, NS2])], clock, deadline, servers.report, servers.ask, servers.sleep
    )
    assert servers.pauses == [] and servers.reports == []


async def test_waits_for_the_slowest_server_with_growing_pauses_and_reports_changes() -> None:
    clock = ManualClock()
    servers = Servers(clock, {NS1: 1, NS2: 4})
    deadline = clock.now() + datetime.timedelta(seconds=10)
    await wait_until_served(
        [(FQDN, "value", [NS1, NS2])], clock, deadline, servers.report, servers.ask, servers.sleep
    )
    assert servers.asked == {NS1: 5, NS2: 5}
    assert servers.pauses == sorted(servers.pauses) and servers.pauses[0] < servers.pauses[-1]
    assert servers.reports == [
        ["ns1.example.com. (192.0.2.1:53)", "ns2.example.com. (192.0.2.2:53)"],
        ["ns2.example.com. (192.0.2.2:53)"],
    ]


async def test_fails_at_the_deadline_naming_the_name_and_the_server() -> None:
    clock = ManualClock()
    servers = Servers(clock, {NS1: 0, NS2: 10_000})
    deadline = clock.now() + datetime.timedelta(seconds=5)
    with pytest.raises(Dns01PropagationFailed) as error:
        await wait_until_served(
            [(FQDN, "value", [NS1, NS2])], clock, deadline, servers.report, servers.ask, servers.sleep
        )
    assert clock.now() == deadline
    assert error.value.message == (
        "DNS-01 records not served in time: _acme-challenge.example.com. TXT not yet served by "
        "ns2.example.com. (192.0.2.2:53): 1 TXT value, not this one"
    )
    assert error.value.failed_attempt
