"""Shards: a stable hash for every replica, and fair shares that add up to the shard count."""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import subprocess
import sys
from collections import Counter

import pytest

from evercert.leadership import shards


def test_the_shard_of_an_object_is_sha256_of_its_key_and_the_same_in_every_process() -> None:
    expected = int.from_bytes(hashlib.sha256(b"shop/web").digest()[:8], "big") % 7
    assert shards.shard_of("shop", "web", 7) == expected
    code = "from evercert.leadership.shards import shard_of; print(shard_of('shop', 'web', 7))"
    for seed in ("1", "2"):  # str hashes differ between these two processes; the shard must not
        result = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": os.pathsep.join(sys.path)},
            check=True,
        )
        assert int(result.stdout) == expected


def test_objects_spread_evenly_over_the_shards() -> None:
    counts = Counter(shards.shard_of(f"ns-{i % 37}", f"cert-{i}", 4) for i in range(10_000))
    assert sorted(counts) == [0, 1, 2, 3]
    assert all(2_300 <= n <= 2_700 for n in counts.values()), counts


def test_cluster_scoped_objects_have_a_shard_too() -> None:
    assert shards.shard_of(None, "letsencrypt", 3) == shards.shard_of("", "letsencrypt", 3)
    assert shards.shard_of("letsencrypt", "", 3) in range(3)


def test_lease_names() -> None:
    assert shards.shard_lease_name(0, 1) == "evercert-shard-0-of-1"
    assert shards.shard_lease_name(3, 4, prefix="ec") == "ec-shard-3-of-4"
    assert shards.member_lease_name("evercert-abc-1a2b3c") == "evercert-member-evercert-abc-1a2b3c"


def test_a_member_is_its_pod_name_and_a_random_suffix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POD_NAME", "evercert-7d9f8-Xk2lq")
    first, second = shards.new_identity(), shards.new_identity()
    assert first.startswith("evercert-7d9f8-xk2lq-") and first != second
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", first)


def test_with_one_shard_the_holder_keeps_it_and_every_other_member_gets_none() -> None:
    assert shards.fair_share("b", {}, 1) == 1  # alone: leader
    holdings = {"b": 1, "a": 0, "c": 0}
    assert [shards.fair_share(m, holdings, 1) for m in "abc"] == [0, 1, 0]


def test_fair_shares_add_up_to_the_shard_count_and_differ_by_at_most_one() -> None:
    for members, count in itertools.product(range(1, 6), range(1, 9)):
        names = [f"m{i}" for i in range(members)]
        holdings = {name: (i * 7) % 3 for i, name in enumerate(names)}  # any current holdings
        shares = [shards.fair_share(name, holdings, count) for name in names]
        assert sum(shares) == count, (members, count, shares)
        assert max(shares) - min(shares) <= 1, (members, count, shares)


def test_three_members_and_four_shards_share_two_one_one_with_the_extra_to_who_has_most() -> None:
    holdings = {"a": 0, "b": 2, "c": 2}
    assert [shards.fair_share(m, holdings, 4) for m in "abc"] == [1, 2, 1]


def test_a_new_member_counts_even_before_the_others_have_seen_it() -> None:
    assert shards.fair_share("new", {"a": 2, "b": 2}, 4) == 1


def test_preference_is_a_rotation_that_differs_between_members() -> None:
    orders = {m: shards.preference(m, 8) for m in ("a", "b", "c", "d")}
    assert all(sorted(order) == list(range(8)) for order in orders.values())
    assert len({order[0] for order in orders.values()}) > 1


def test_a_member_over_its_share_releases_the_extra_keeping_what_it_works_on() -> None:
    plan = shards.plan("a", 4, quota=1, mine={0, 2, 3}, takeable=set(), held={2})
    assert plan == shards.Plan(renew=frozenset({2}), acquire=(), release=frozenset({0, 3}))


def test_a_member_under_its_share_takes_free_shards_in_its_preferred_order() -> None:
    order = shards.preference("a", 4)
    takeable = set(order[1:])
    plan = shards.plan("a", 4, quota=3, mine={order[0]}, takeable=takeable, held={order[0]})
    assert plan.renew == {order[0]} and plan.acquire == tuple(order[1:3]) and not plan.release


def test_a_member_at_its_share_takes_nothing_more() -> None:
    plan = shards.plan("a", 4, quota=2, mine={0, 1}, takeable={2, 3}, held={0, 1})
    assert plan.acquire == () and plan.renew == {0, 1}
