"""DNS-01 values go out through each solver's provider in one batch (or one by one for a provider that
cannot batch), duplicates once; a failing solver does not keep the others' values in place."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from evercert.api.dns01 import Dns01Solver, Rfc2136Provider
from evercert.certificates.status import DnsRecord
from evercert.core.errors import Dns01ProviderError
from evercert.dns01 import presenting
from evercert.dns01.lookups import Lookups, Nameserver
from evercert.dns01.propagation import Lacking
from evercert.dns01.provider import TxtRecord
from tests.support.clock import ManualClock

WILD = DnsRecord("_acme-challenge.x.example.com.", "example.com.", "v1", "*.x.example.com", 0)
APEX = DnsRecord("_acme-challenge.x.example.com.", "example.com.", "v2", "x.example.com", 0)
OTHER = DnsRecord("_acme-challenge.y.example.org.", "example.org.", "v3", "y.example.org", 2)


class Batching:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[str, list[str]]] = []
        self.fail = fail

    async def present_all(self, records: Sequence[TxtRecord]) -> None:
        self.calls.append(("add", [r.value for r in records]))

    async def clean_up_all(self, records: Sequence[TxtRecord]) -> None:
        self.calls.append(("delete", [r.value for r in records]))
        if self.fail:
            raise Dns01ProviderError("REFUSED")

    async def present(self, record: TxtRecord) -> None:
        raise AssertionError("a batching provider gets batches")

    async def clean_up(self, record: TxtRecord) -> None:
        raise AssertionError("a batching provider gets batches")


class OneByOne:
    def __init__(self) -> None:
        self.calls: list[tuple[str, TxtRecord]] = []

    async def present(self, record: TxtRecord) -> None:
        self.calls.append(("add", record))

    async def clean_up(self, record: TxtRecord) -> None:
        self.calls.append(("delete", record))


def context(providers: dict[int, object]) -> presenting.Dns01Context:
    async def no_secret(namespace: str, name: str) -> None:
        return None

    made = presenting.Dns01Context(Lookups(), no_secret, "shop", ManualClock(), {})
    made._providers.update(providers)  # type: ignore[arg-type]
    return made


async def test_one_batch_per_solver_and_one_call_per_value_where_the_provider_cannot_batch() -> None:
    batching, single = Batching(), OneByOne()
    await presenting.present(context({0: batching, 2: single}), [WILD, APEX, WILD, OTHER])
    assert batching.calls == [("add", ["v1", "v2"])]
    assert single.calls == [("add", TxtRecord(OTHER.fqdn, OTHER.zone, "v3", "y.example.org", "shop"))]


async def test_a_wildcards_record_names_the_name_below_it() -> None:
    assert presenting.txt_record(WILD, "shop").dns_name == "x.example.com"


async def test_clean_up_goes_on_past_a_failing_solver_then_raises() -> None:
    failing, single = Batching(fail=True), OneByOne()
    with pytest.raises(Dns01ProviderError):
        await presenting.clean_up(context({0: failing, 2: single}), [WILD, OTHER])
    assert failing.calls == [("delete", ["v1"])] and [kind for kind, _ in single.calls] == ["delete"]


async def test_a_solver_gone_from_the_issuer_is_a_clear_error() -> None:
    with pytest.raises(Dns01ProviderError, match=r"no DNS-01 solver at spec.acme.solvers\[5\]"):
        await presenting.present(context({}), [DnsRecord("f.", "z.", "v", "n", 5)])


def test_what_the_check_saw_goes_to_the_records_still_missing() -> None:
    server = Nameserver("ns.example.com.", "192.0.2.1", 53)
    seen = presenting.with_seen([WILD, APEX], [Lacking(WILD.fqdn, "v1", server, "NXDOMAIN")])
    assert seen[0].seen == "ns.example.com. (192.0.2.1:53): NXDOMAIN" and seen[1].seen is None


def test_a_solver_with_its_own_nameservers_gets_lookups_through_them() -> None:
    made = context({})
    made.solvers = {
        0: Dns01Solver(provider=Rfc2136Provider(host="192.0.2.53")),
        1: Dns01Solver(provider=Rfc2136Provider(host="192.0.2.53"), nameservers=("192.0.2.1:5353",)),
    }
    assert made.lookups_for(0) is made.lookups
    assert made.lookups_for(1).nameservers == ("192.0.2.1:5353",)
