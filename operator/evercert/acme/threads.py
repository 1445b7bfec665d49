"""The ACME thread pool: the `acme` library blocks, so its calls run in threads, off the event loop."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
from collections.abc import Awaitable, Callable
from typing import Any

# Runs a blocking call (fn, *args, **kwargs) in the pool and awaits its result.
Blocking = Callable[..., Awaitable[Any]]


def in_pool(executor: concurrent.futures.Executor) -> Blocking:
    async def blocking(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(executor, functools.partial(fn, *args, **kwargs))

    return blocking
