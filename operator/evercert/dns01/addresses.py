"""How a recursive nameserver is named: an IP address with an optional port (standard library only, so
that reading the settings loads no DNS library)."""

from __future__ import annotations

import ipaddress


def address_and_port(server: str) -> tuple[str, int]:
    """`ip`, `ip:port`, `[v6]:port` or a bare IPv6 address; ValueError for anything else."""
    host, port = server, 53
    if server.startswith("["):
        host, _, rest = server[1:].partition("]")
        port = int(rest.removeprefix(":") or 53)
    elif server.count(":") == 1:
        host, _, port_text = server.partition(":")
        port = int(port_text)
    ipaddress.ip_address(host)  # a resolver is named by address
    if not 0 < port < 65536:
        raise ValueError(f"{server!r}: the port must be between 1 and 65535")
    return host, port
