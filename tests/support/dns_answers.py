"""What a DNS server answers right now, asked directly (no cache in between)."""

from __future__ import annotations

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype


def txt_values(server: tuple[str, int], name: str) -> set[str]:
    """The TXT strings the server holds for `name` (empty for NXDOMAIN or no TXT)."""
    query = dns.message.make_query(name, dns.rdatatype.TXT)
    answer = dns.query.udp(query, server[0], port=server[1], timeout=3)
    if answer.rcode() != dns.rcode.NOERROR:
        return set()
    return {
        b"".join(rdata.strings).decode()
        for rrset in answer.answer
        if rrset.rdtype == dns.rdatatype.TXT
        for rdata in rrset
    }
