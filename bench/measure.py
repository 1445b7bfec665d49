"""What the bench measures from outside the operator: its RSS, its API requests, Pebble's requests, Pods."""

from __future__ import annotations

import asyncio
import collections
import datetime
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from kubernetes_asyncio import client, watch

SOLVER_SELECTOR = "evercert.dev/http01-solver=true"
# Pebble logs a line per ACME request it handles: "Pebble <date> <time> POST /order-plz -> calling handler()"
PEBBLE_REQUEST = " -> calling handler()"
PEBBLE_NEW_ORDER = "POST /order-plz -> calling handler()"
# Below this share of one core, the operator counts as doing nothing.
IDLE_CPU_SHARE = 0.05


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (peak) of a process, in MB (MiB, as the kernel counts)."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = round(int(rest.split()[0]) / 1024, 1)
    return {"rss": values["VmRSS"], "peak": values["VmHWM"]}


def cpu_seconds(pid: int, children: bool = False) -> float:
    """User + system CPU time the process has used so far (with its finished children's, if asked)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(f) for f in fields[11 : 15 if children else 13])
    return ticks / os.sysconf("SC_CLK_TCK")


def _epoch(stamp: str) -> float:
    return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


@dataclass(frozen=True)
class ApiRequest:
    """One finished request of the operator, as the apiserver's audit log recorded it."""

    at: float  # when the response completed (epoch seconds)
    verb: str
    resource: str
    path: str


@dataclass
class AuditLog:
    """The operator's requests in the apiserver's audit log (watches excluded), read incrementally."""

    path: Path
    user: str
    requests: list[ApiRequest] = field(default_factory=list)
    _offset: int = 0
    _partial: bytes = b""

    def refresh(self) -> None:
        marker = json.dumps(self.user).encode()
        with self.path.open("rb") as handle:
            handle.seek(self._offset)
            chunk = handle.read()
        self._offset += len(chunk)
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            if marker not in line:  # cheap filter before parsing: most lines are other users'
                continue
            event = json.loads(line)
            if event["user"]["username"] != self.user or event["stage"] != "ResponseComplete":
                continue
            if event["verb"] == "watch":
                continue
            ref = event.get("objectRef") or {}
            self.requests.append(
                ApiRequest(
                    _epoch(event["stageTimestamp"]),
                    event["verb"],
                    ref.get("resource", "") + (f"/{ref['subresource']}" if ref.get("subresource") else ""),
                    event["requestURI"].split("?")[0],
                )
            )

    def between(self, start: float, end: float = float("inf")) -> list[ApiRequest]:
        self.refresh()
        return [r for r in self.requests if start <= r.at < end]


async def wait_idle(audit: AuditLog, pid: int, since: float, quiet: float, timeout: float) -> float:
    """Wait until the operator made no API request and used (almost) no CPU for `quiet` s.

    Returns when it was last active. Requests alone don't tell: a starting operator computes
    for seconds before its first request. Lease requests are the leader election's heartbeat, not work."""
    deadline = time.time() + timeout
    last_busy, before, cpu_before = since, time.time(), cpu_seconds(pid)
    while time.time() < deadline:
        await asyncio.sleep(0.5)
        now, cpu = time.time(), cpu_seconds(pid)
        if cpu - cpu_before > IDLE_CPU_SHARE * (now - before):
            last_busy = now
        before, cpu_before = now, cpu
        last = max([last_busy, *(r.at for r in audit.between(since) if r.resource != "leases")])
        if now - last >= quiet:
            return last
    raise TimeoutError(f"the operator was still busy after {timeout:.0f} s")


def summarize(requests: list[ApiRequest]) -> dict[str, int]:
    """Counts by 'verb resource', most frequent first (for the JSON results)."""
    counts = collections.Counter(f"{r.verb} {r.resource}" for r in requests)
    return dict(counts.most_common())


@dataclass
class PebbleLog:
    """Counts the ACME requests Pebble served, from its log."""

    path: Path

    def counts(self) -> tuple[int, int]:
        """(all ACME requests, newOrder requests) so far."""
        text = self.path.read_text(errors="replace")
        return text.count(PEBBLE_REQUEST), text.count(PEBBLE_NEW_ORDER)


@dataclass
class SolverPods:
    """Watches solver Pods cluster-wide and keeps the peak number alive at once."""

    api: client.ApiClient
    alive: set[tuple[str, str]] = field(default_factory=set)
    peak: int = 0

    def reset_peak(self) -> None:
        self.peak = len(self.alive)

    async def run(self) -> None:
        core = client.CoreV1Api(self.api)
        while True:
            try:
                listed = await core.list_pod_for_all_namespaces(label_selector=SOLVER_SELECTOR)
                self.alive = {(p.metadata.namespace, p.metadata.name) for p in listed.items}
                stream = watch.Watch().stream(
                    core.list_pod_for_all_namespaces,
                    label_selector=SOLVER_SELECTOR,
                    resource_version=listed.metadata.resource_version,
                    timeout_seconds=3600,
                )
                async with stream:
                    async for event in stream:
                        self._count(event)
            except (aiohttp.ClientError, TimeoutError, client.ApiException):
                await asyncio.sleep(0.5)

    def _count(self, event: dict[str, Any]) -> None:
        pod = event["object"]
        key = (pod.metadata.namespace, pod.metadata.name)
        if event["type"] == "DELETED":
            self.alive.discard(key)
        else:
            self.alive.add(key)
            self.peak = max(self.peak, len(self.alive))


async def scrape(url: str, prefix: str) -> dict[str, float]:
    """The series of a Prometheus endpoint whose names start with `prefix`, by name (labels included)."""
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        text = await response.text()
    series = (line.rsplit(" ", 1) for line in text.splitlines() if line.startswith(prefix))
    return {name: float(value) for name, value in series}
