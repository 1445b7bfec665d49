"""Shards: which one an object falls in, the Leases' names, and each member's fair share of them (pure)."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import socket
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from ..core import constants

PREFIX = constants.MANAGED_BY
LABEL_SET = constants.LABEL_LEASE_SET
LABEL_ROLE = constants.LABEL_LEASE_ROLE
ROLE_SHARD = "shard"
ROLE_MEMBER = "member"


def _digest(text: str) -> int:
    # sha256, not hash(): Python salts str hashes per process, and every replica must agree.
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def shard_of(namespace: str | None, name: str, shards: int) -> int:
    """The shard of a namespaced object (or a cluster-scoped one, namespace None), stable everywhere."""
    return _digest(f"{namespace or ''}/{name}") % shards


def shard_lease_name(shard: int, shards: int, prefix: str = PREFIX) -> str:
    """`evercert-shard-0-of-1` is the leader Lease; the count in the name keeps two layouts apart."""
    return f"{prefix}-shard-{shard}-of-{shards}"


def member_lease_name(identity: str, prefix: str = PREFIX) -> str:
    return f"{prefix}-member-{identity}"


def labels(role: str, prefix: str = PREFIX) -> dict[str, str]:
    return {constants.LABEL_MANAGED_BY: constants.MANAGED_BY, LABEL_SET: prefix, LABEL_ROLE: role}


def selector(prefix: str = PREFIX) -> str:
    return f"{LABEL_SET}={prefix}"


def new_identity(pod_name: str | None = None) -> str:
    """The Pod's name (`POD_NAME`, else the host name) plus a random suffix: a restarted Pod is new."""
    base = pod_name or os.environ.get("POD_NAME") or socket.gethostname()
    base = re.sub(r"[^a-z0-9-]+", "-", base.lower()).strip("-")[:50] or "evercert"
    return f"{base}-{secrets.token_hex(3)}"


def fair_share(me: str, holdings: Mapping[str, int], shards: int) -> int:
    """How many shards `me` should hold, given each live member's current holdings.

    Everyone gets shards // members; the remainder goes to the members holding the most (then by
    identity), so a leader keeps its Lease when a standby joins and nobody gives up work needlessly.
    With one shard this is leader election: whoever holds it keeps it, the others get 0.
    """
    members = sorted({*holdings, me}, key=lambda m: (-holdings.get(m, 0), m))
    base, extra = divmod(shards, len(members))
    return base + (1 if members.index(me) < extra else 0)


def preference(me: str, shards: int) -> list[int]:
    """The order in which `me` tries free shards: members start at different places, fewer conflicts."""
    start = _digest(me) % shards
    return [(start + step) % shards for step in range(shards)]


@dataclass(frozen=True)
class Plan:
    renew: frozenset[int]
    acquire: tuple[int, ...]
    release: frozenset[int]


def plan(
    me: str,
    shards: int,
    quota: int,
    mine: Collection[int],
    takeable: Iterable[int],
    held: Collection[int] = (),
) -> Plan:
    """What to do this round: keep up to `quota` of `mine` (those held here first), take free ones up to it.

    `mine`: shards whose Lease names me as holder (held here, or written by a request whose answer was
    lost); `takeable`: shards whose Lease is missing, released or expired.
    """
    kept = sorted(mine, key=lambda s: (s not in held, s))
    renew, release = kept[:quota], kept[quota:]
    free = set(takeable) - set(mine)
    wanted = max(quota - len(renew), 0)
    acquire = tuple(s for s in preference(me, shards) if s in free)[:wanted]
    return Plan(frozenset(renew), acquire, frozenset(release))
