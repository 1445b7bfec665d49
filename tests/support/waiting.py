"""Waiting for a condition instead of sleeping a fixed time: poll until it holds (or stays holding)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any

from evercert_devenv.processes import Server


def wait_for(check: Callable[[], Any], timeout: float, what: str, process: Server | None = None) -> Any:
    """The first truthy result of `check`, polled with a growing pause; fails after `timeout` seconds
    (with the tail of `process`'s log, when given)."""
    deadline = time.monotonic() + timeout
    delay = 0.1
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(delay)
        delay = min(delay * 1.5, 1.0)
    tail = f"\n--- {process.name} log ---\n{process.log_tail(60)}" if process else ""
    raise AssertionError(f"timed out after {timeout} s waiting for {what}{tail}")


def holds(check: Callable[[], Any], seconds: float, what: str, every: float = 0.2) -> None:
    """`check` stays truthy for `seconds` (something that must not happen has that long to show);
    fails at the first falsy result."""
    deadline = time.monotonic() + seconds
    while True:
        assert check(), f"no longer true: {what}"
        if time.monotonic() >= deadline:
            return
        time.sleep(every)


def outage(seconds: float) -> None:
    """Let a fault (the apiserver away, say) last `seconds`: the length of a scenario, not a wait for
    something to happen."""
    time.sleep(seconds)


async def eventually(
    check: Callable[[], Any] | Callable[[], Awaitable[Any]], timeout: float, what: str, every: float = 0.05
) -> Any:
    """The first truthy result of `check` (a function or a coroutine function), polled on the event loop."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        await asyncio.sleep(every)
