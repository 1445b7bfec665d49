"""Operator start and stop: settings, the one API client, the ACME thread pool, the metrics endpoint."""

from __future__ import annotations

import concurrent.futures
import logging
from typing import Any

import kopf

from .. import constants, metrics
from ..kube.client import Kube
from ..runtime import Runtime
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
    metrics.start_server(config.metrics_port)
    memo.runtime = Runtime(
        kube=await Kube.connect(config.api_timeout_seconds),
        settings=config,
        executor=concurrent.futures.ThreadPoolExecutor(config.acme_workers, thread_name_prefix="acme"),
    )


@kopf.on.cleanup()
async def stop(memo: kopf.Memo, **_: Any) -> None:
    runtime: Runtime = memo.runtime
    metrics.stop_server()
    runtime.executor.shutdown(wait=False, cancel_futures=True)
    runtime.heap.cancel()
    await runtime.kube.close()
