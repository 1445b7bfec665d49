"""Give freed memory back to the OS once a burst of work is over.

Issuing many certificates at once leaves glibc's heap with free pages it keeps (fragments between
live objects, per-thread arenas of the ACME pool); `malloc_trim` releases them (~10 MB after 100)."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)
QUIET_SECONDS = 2.0


def find_malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None where the C library has none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


class HeapTrimmer:
    """Trims once, `quiet` seconds after the last piece of work (each new piece moves the time on)."""

    def __init__(self, trim: Callable[[int], int] | None = None, quiet: float = QUIET_SECONDS) -> None:
        self._trim = trim
        self._quiet = quiet
        self._pending: asyncio.TimerHandle | None = None
        self.trims = 0

    @classmethod
    def for_this_platform(cls) -> HeapTrimmer:
        return cls(find_malloc_trim())

    def work_done(self) -> None:
        if self._trim is None:
            return
        if self._pending is not None:
            self._pending.cancel()
        self._pending = asyncio.get_running_loop().call_later(self._quiet, self._run)

    def _run(self) -> None:
        self._pending = None
        assert self._trim is not None
        began = time.perf_counter()
        self._trim(0)
        self.trims += 1
        log.debug("heap trimmed", extra={"seconds": round(time.perf_counter() - began, 4)})

    def cancel(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
