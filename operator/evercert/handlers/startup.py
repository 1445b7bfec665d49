"""Operator start and stop: settings, the one API client, the ACME thread pool."""

from __future__ import annotations

import concurrent.futures
import logging
from typing import Any

import kopf

from .. import constants
from ..certificates.driver import work_for
from ..kube.client import Kube
from ..runtime import Runtime
from ..scheduling import IssuanceSlots, Scheduler
from ..settings import Settings


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
    # Only the Secrets evercert manages reach the operator: never every Secret in the cluster.
    # The key is (version, plural): a "v1/secrets" string would mean the API group "v1" and match nothing.
    settings.watching.label_selectors["v1", "secrets"] = (
        f"{constants.LABEL_MANAGED_BY}={constants.MANAGED_BY}"
    )
    settings.watching.server_timeout = 600
    settings.watching.inactivity_timeout = config.watch_inactivity_seconds
    settings.networking.request_timeout = config.api_timeout_seconds
    runtime = Runtime(
        kube=await Kube.connect(config.api_timeout_seconds),
        settings=config,
        executor=concurrent.futures.ThreadPoolExecutor(config.acme_workers, thread_name_prefix="acme"),
        slots=IssuanceSlots(config.scheduling.max_concurrent_issuances),
    )
    # Started by the first Certificate event: its tasks must run in kopf's context to post Events.
    runtime.scheduler = Scheduler(work_for(runtime), runtime.clock, workers=config.scheduling.workers)
    memo.runtime = runtime


@kopf.on.cleanup()
async def stop(memo: kopf.Memo, **_: Any) -> None:
    runtime: Runtime = memo.runtime
    if runtime.scheduler is not None:
        await runtime.scheduler.stop()
    runtime.executor.shutdown(wait=False, cancel_futures=True)
    runtime.heap.cancel()
    await runtime.kube.close()
