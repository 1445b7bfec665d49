"""RFC 2136 messages and the server's answers, against a small in-process DNS server over TCP: every
value of a zone in one UPDATE, only our values deleted, and each refusal in the server's words."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator, Callable

import dns.message
import dns.rcode
import dns.rdataclass
import dns.update
import pytest

from evercert.core.errors import Dns01ProviderError
from evercert.dns01.provider import TxtRecord
from evercert.dns01.rfc2136 import Rfc2136

Answer = Callable[[dns.message.Message], dns.message.Message | None]
RECORDS = [
    TxtRecord("_acme-challenge.x.example.com.", "example.com.", "v1", "x.example.com", "shop"),
    TxtRecord("_acme-challenge.x.example.com.", "example.com.", "v2", "x.example.com", "shop"),
    TxtRecord("_acme-challenge.y.example.org.", "example.org.", "v3", "y.example.org", "shop"),
]


class Server:
    """Answers each UPDATE over TCP with `answer(update)` (None: close without a word)."""

    def __init__(self) -> None:
        self.received: list[dns.message.Message] = []
        self.answer: Answer = lambda update: dns.message.make_response(update)
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        (length,) = struct.unpack("!H", await reader.readexactly(2))
        update = dns.message.from_wire(await reader.readexactly(length))
        self.received.append(update)
        response = self.answer(update)
        if response is not None:
            wire = response.to_wire()
            writer.write(struct.pack("!H", len(wire)) + wire)
            await writer.drain()
        writer.close()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    fake = Server()
    listening = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
    fake.port = listening.sockets[0].getsockname()[1]
    async with listening:
        yield fake


def with_rcode(rcode: dns.rcode.Rcode) -> Answer:
    def answer(update: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(update)
        response.set_rcode(rcode)
        return response

    return answer


async def test_one_update_per_zone_with_every_value_of_that_zone(server: Server) -> None:
    provider = Rfc2136("127.0.0.1", server.port)
    await provider.present_all(RECORDS)
    assert provider.updates_sent == 2
    zones = [update.zone[0].name.to_text() for update in server.received]  # type: ignore[attr-defined]
    assert zones == ["example.com.", "example.org."]
    first = server.received[0].update  # type: ignore[attr-defined]
    assert sorted(rdata.to_text() for rrset in first for rdata in rrset) == ['"v1"', '"v2"']


async def test_clean_up_deletes_exactly_our_values(server: Server) -> None:
    await Rfc2136("127.0.0.1", server.port).clean_up_all(RECORDS[:1])
    (deleted,) = server.received[0].update  # type: ignore[attr-defined]
    assert deleted.name.to_text() == "_acme-challenge.x.example.com." and [r.to_text() for r in deleted] == [
        '"v1"'
    ]
    assert deleted.deleting == dns.rdataclass.NONE  # RFC 2136 2.5.4: delete this RR only


@pytest.mark.parametrize(
    ("rcode", "words"),
    [
        (dns.rcode.REFUSED, "the server refused the update (REFUSED)"),
        (dns.rcode.NOTAUTH, "(NOTAUTH)"),
        (dns.rcode.NOTZONE, "(NOTZONE)"),
        (dns.rcode.SERVFAIL, "(SERVFAIL)"),
        (dns.rcode.FORMERR, "the server answered FORMERR"),
    ],
)
async def test_a_refusal_is_said_in_the_servers_words(
    server: Server, rcode: dns.rcode.Rcode, words: str
) -> None:
    server.answer = with_rcode(rcode)
    with pytest.raises(Dns01ProviderError) as error:
        await Rfc2136("127.0.0.1", server.port).present(RECORDS[0])
    assert error.value.message.startswith(f"DNS UPDATE of zone example.com. at 127.0.0.1:{server.port}: ")
    assert words in error.value.message and not error.value.transient


async def test_a_failing_zone_does_not_stop_the_next_one(server: Server) -> None:
    server.answer = lambda update: (
        with_rcode(dns.rcode.REFUSED)(update)
        if len(server.received) == 1
        else dns.message.make_response(update)
    )
    with pytest.raises(Dns01ProviderError, match="REFUSED"):
        await Rfc2136("127.0.0.1", server.port).clean_up_all(RECORDS)
    assert len(server.received) == 2


async def test_a_server_that_hangs_up_is_a_passing_failure(server: Server) -> None:
    server.answer = lambda update: None
    with pytest.raises(Dns01ProviderError) as error:
        await Rfc2136("127.0.0.1", server.port, timeout=2).present(RECORDS[0])
    assert error.value.transient


def test_a_tsig_secret_that_is_not_base64_is_refused_without_showing_it() -> None:
    with pytest.raises(Dns01ProviderError) as error:
        Rfc2136("127.0.0.1", 53, "evercert.", "not base64!", "HMACSHA256")
    assert "not base64" not in error.value.message.replace("is not base64", "")
    assert "'evercert.'" in error.value.message
