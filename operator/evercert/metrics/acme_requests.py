"""ACME requests by scheme, host, path kind, method and status, with their durations, and 429 answers.

Kept as plain numbers and written out as text (like certificates.py): the request count keeps
cert-manager's exact name, without the `_total` prometheus_client's counters would add.
"""

from __future__ import annotations

import bisect
import threading
from urllib.parse import urlsplit

from .acme_paths import path_kind
from .certificates import label_text

LABELS = ("scheme", "host", "path", "method", "status")
REQUEST_COUNT = "evercert_http_acme_client_request_count"
REQUEST_DURATION = "evercert_http_acme_client_request_duration_seconds"
RATE_LIMITED = "evercert_acme_rate_limited_total"
# The status of a request that got no answer (refused, reset, timed out), as cert-manager reports it.
NO_ANSWER = 999
# ACME requests take from milliseconds (a nonce) to the network timeout (30 s).
BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_LE = (*(repr(b) for b in BUCKETS), "+Inf")


class _Series:
    """Count, sum and bucket counts of one label set, and its label text."""

    __slots__ = ("buckets", "count", "labels", "total")

    def __init__(self, labels: str) -> None:
        self.labels = labels
        self.count = 0
        self.total = 0.0
        self.buckets = [0] * (len(BUCKETS) + 1)


class AcmeRequestMetrics:
    """Request series by label set, and 429 answers by host."""

    def __init__(self) -> None:
        self._series: dict[tuple[str, ...], _Series] = {}
        self._rate_limited: dict[str, int] = {}
        self._lock = threading.Lock()

    def observe(self, method: str, url: str, status: int | None, seconds: float) -> None:
        parts = urlsplit(url)
        code = NO_ANSWER if status is None else status
        key = (parts.scheme, parts.netloc, path_kind(url), method.upper(), str(code))
        with self._lock:
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = _Series(label_text(key, LABELS))
            series.count += 1
            series.total += seconds
            series.buckets[bisect.bisect_left(BUCKETS, seconds)] += 1
            # From a host's first request on, so the first 429 is an increase Prometheus sees.
            limited = self._rate_limited.setdefault(parts.netloc, 0)
            if code == 429:
                self._rate_limited[parts.netloc] = limited + 1

    def exposition(self) -> bytes:
        with self._lock:
            series = [(s.labels, s.count, s.total, list(s.buckets)) for s in self._series.values()]
            limited = sorted(self._rate_limited.items())
        out = [_header(REQUEST_COUNT, "untyped", "The number of requests made to ACME servers.")]
        out.extend(f"{REQUEST_COUNT}{{{labels}}} {count}\n" for labels, count, _, _ in series)
        out.append(
            _header(REQUEST_DURATION, "histogram", "The time requests to ACME servers took, in seconds.")
        )
        for labels, count, total, buckets in series:
            running = 0
            for le, hits in zip(_LE, buckets, strict=True):
                running += hits
                out.append(f'{REQUEST_DURATION}_bucket{{{labels},le="{le}"}} {running}\n')
            out.append(f"{REQUEST_DURATION}_sum{{{labels}}} {total!r}\n")
            out.append(f"{REQUEST_DURATION}_count{{{labels}}} {count}\n")
        out.append(
            _header(
                RATE_LIMITED,
                "counter",
                "Answers of ACME servers refusing a request for a rate limit (HTTP 429).",
            )
        )
        out.extend(f"{RATE_LIMITED}{{{label_text((host,), ('host',))}}} {count}\n" for host, count in limited)
        return "".join(out).encode()


def _header(family: str, kind: str, text: str) -> str:
    return f"# HELP {family} {text}\n# TYPE {family} {kind}\n"
