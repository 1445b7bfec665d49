"""The metrics: per-Certificate gauges and ACME requests (plain numbers written out as text), and a
prometheus_client registry for issuances, the scheduler and the process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, ProcessCollector, disable_created_metrics

from .acme_requests import AcmeRequestMetrics
from .certificates import CertificateMetrics

# The process holds no other registry: `_created` series would double the counters' series for nothing.
disable_created_metrics()

REGISTRY = CollectorRegistry(auto_describe=True)
# Not in REGISTRY: its exposition validates and escapes each label of each sample, on every scrape.
CERTIFICATES = CertificateMetrics()
ACME_REQUESTS = AcmeRequestMetrics()
ProcessCollector(registry=REGISTRY)

ISSUANCES = Counter(
    "evercert_issuances",
    "Issuance attempts by result (success, failure) and reason (why issued, or why it failed).",
    ["result", "reason"],
    registry=REGISTRY,
)
SCHEDULER_QUEUE_DEPTH = Gauge(
    "evercert_scheduler_queue_depth",
    "Certificates due for a look and waiting for a worker.",
    registry=REGISTRY,
)
SCHEDULER_IN_FLIGHT = Gauge(
    "evercert_scheduler_in_flight", "Certificates a worker is looking at or issuing now.", registry=REGISTRY
)
