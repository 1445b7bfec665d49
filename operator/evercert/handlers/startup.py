"""Operator start and stop: settings, the one API client, the ACME thread pool, the scheduler, the Leases,
the metrics endpoint."""

from __future__ import annotations

import concurrent.futures
import logging
from functools import partial
from typing import Any

import kopf

from .. import metrics
from ..certificates.driver import work_for
from ..core import constants
from ..issuers.registration import register_unready
from ..kube import listing
from ..kube.client import Kube
from ..leadership import serving
from ..leadership.elector import Elector
from ..leadership.leases import KubeLeases
from ..leadership.serving import Serving, lease_timing
from ..leadership.shards import new_identity
from ..runtime import Runtime
from ..scheduling import IssuanceSlots, Scheduler
from ..settings import Settings
from . import shims, workloads

LIST_PAGE = 200
WORKER_IDLE_SECONDS = 1.0
# How long readers of the stores wait for the watch to deliver what a LIST at start named.
PRIMING_DEADLINE_SECONDS = 60.0


@kopf.on.startup()
async def start(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    config = Settings.from_env()
    # Events only when evercert posts them, not for every log line of kopf's per-object loggers.
    settings.posting.level = logging.WARNING
    settings.persistence.finalizer = f"{constants.GROUP}/finalizer"
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=constants.GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=constants.GROUP, key="last-handled-configuration"
    )
    # Only the Secrets evercert manages reach the operator: never every Secret in the cluster, nor the
    # next-key Secrets of issuances under way (made and deleted by the looks themselves, read by name).
    # The key is (version, plural): a "v1/secrets" string would mean the API group "v1" and match nothing.
    settings.watching.label_selectors["v1", "secrets"] = (
        f"{constants.LABEL_MANAGED_BY}={constants.MANAGED_BY},!{constants.LABEL_NEXT_KEY}"
    )
    # Memory at scale: list in pages (one LIST of 10,000 Secrets is ~60 MB of JSON, ~200 MB decoded,
    # and the heap keeps the pages after), and let an object's worker go (with the last body it
    # holds) soon after its events are done.
    settings.watching.chunk_size = LIST_PAGE
    settings.queueing.idle_timeout = WORKER_IDLE_SECONDS
    settings.watching.server_timeout = 600
    settings.watching.inactivity_timeout = config.watch_inactivity_seconds
    settings.networking.request_timeout = config.api_timeout_seconds
    metrics.start_server(config.metrics_port)
    runtime = Runtime(
        kube=await Kube.connect(config.api_timeout_seconds),
        settings=config,
        executor=concurrent.futures.ThreadPoolExecutor(config.acme_workers, thread_name_prefix="acme"),
        slots=IssuanceSlots(config.scheduling.max_concurrent_issuances),
    )
    # Before kopf's watches start: what they are to deliver, so that readers know when it has come.
    kube, namespaces = runtime.kube, config.namespaces
    runtime.certificates.priming.start(
        partial(listing.certificates, kube, namespaces), PRIMING_DEADLINE_SECONDS
    )
    runtime.secrets.priming.start(
        partial(listing.managed_tls_secrets, kube, namespaces), PRIMING_DEADLINE_SECONDS
    )
    runtime.certificates.priming.on_done.append(partial(shims.primed, memo))
    runtime.secrets.priming.on_done.append(partial(workloads.primed, memo))
    # Started by the first Certificate event: its tasks must run in kopf's context to post Events.
    work = work_for(
        runtime.passes,
        runtime.certificates,
        runtime.secrets,
        runtime.indexes.issuer,
        lambda namespace, name: runtime.serving.serves(namespace, name),
        partial(_after_pass, runtime),
    )
    runtime.scheduler = Scheduler(work, runtime.clock, workers=config.scheduling.workers)
    runtime.serving = Serving(config.shards)
    if config.leader_election:
        runtime.serving.elector = Elector(
            KubeLeases(runtime.kube, config.pod_namespace),
            new_identity(config.pod_name),
            runtime.clock,
            count=config.shards,
            timing=lease_timing(config.lease_duration_seconds),
            on_gained=partial(serving.gained, runtime.serving, runtime.certificates, runtime.look_again),
            on_lost=partial(serving.lost, runtime.serving, runtime.scheduler),
        )
        access, indexes, shard = runtime.account_access, runtime.indexes, runtime.serving.shard
        runtime.serving.on_gained.append(
            partial(register_unready, access, runtime.clock, runtime.retry, indexes, shard)
        )
        runtime.serving.on_gained.append(lambda shards: shims.resync(memo, shards))
    memo.runtime = runtime


def _after_pass(runtime: Runtime) -> None:
    runtime.heap.work_done()
    if runtime.scheduler is not None:
        metrics.set_scheduler(runtime.scheduler.depth, runtime.scheduler.in_flight)


@kopf.on.cleanup()
async def stop(memo: kopf.Memo, **_: Any) -> None:
    runtime: Runtime = memo.runtime
    runtime.certificates.priming.stop()
    runtime.secrets.priming.stop()
    if runtime.scheduler is not None:
        await runtime.scheduler.stop()
    if runtime.serving.elector is not None:
        # Work has stopped: hand the Leases over at once (a rolling update, SIGTERM), not after expiry.
        await runtime.serving.stop()
    metrics.stop_server()
    runtime.executor.shutdown(wait=False, cancel_futures=True)
    runtime.heap.cancel()
    await runtime.kube.close()
