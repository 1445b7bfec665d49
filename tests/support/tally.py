"""Counts of requests by kind, as a table for a test's output."""

from __future__ import annotations

from collections.abc import Mapping


def table(counts: Mapping[str, int]) -> str:
    """One `count  kind` line per kind, most first, then the total."""
    width = len(str(sum(counts.values())))
    lines = [f"  {n:>{width}}  {kind}" for kind, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return "\n".join([*lines, f"  {sum(counts.values()):>{width}}  total"])
