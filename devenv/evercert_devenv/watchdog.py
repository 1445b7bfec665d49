"""A watchdog on the test bed's servers: each is asked a question that must be answered within seconds
(one that takes the locks a deadlock would hold: Pebble's store, etcd's health, the apiserver's
livez), every few seconds. A server that has answered nothing for `hang_after` seconds while its
process runs gets SIGQUIT: a Go server prints every goroutine's stack into its log and exits. Then
`on_hang` runs with a message naming the server, the question, the log and the goroutines' states;
by default it fails whatever the main thread is waiting for (`fail_main_thread`), so a hung server
fails the running test or bench phase within two minutes instead of stalling it for good.
"""

from __future__ import annotations

import collections
import functools
import os
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .processes import Server

PROBE_EVERY_SECONDS = 5.0
HANG_AFTER_SECONDS = 60.0
DUMP_WAIT_SECONDS = 10.0
FAILURE_SIGNAL = signal.SIGUSR2
# `goroutine 18 [sync.RWMutex.RLock, 3 minutes]:` -> sync.RWMutex.RLock (Go 1.23+ puts
# `gp=0x… m=nil` before the bracket).
GOROUTINE = re.compile(r"^goroutine \d+ [^\[\n]*\[([^,\]]+)", re.MULTILINE)


class ServerHung(Exception):
    """A test server stopped answering; the message says which, and where its goroutine dump is."""


@dataclass
class Watched:
    server: Server
    question: str  # what the probe asks, for the message
    probe: Callable[[], bool]
    answered_at: float


def goroutine_states(log_text: str) -> str:
    """`366 in sync.RWMutex.RLock, 12 in sync.Mutex.Lock`: where a Go dump's goroutines wait."""
    counts = collections.Counter(GOROUTINE.findall(log_text))
    return ", ".join(f"{n} in {state}" for state, n in counts.most_common(6))


@dataclass
class Watchdog:
    probe_every: float = PROBE_EVERY_SECONDS
    hang_after: float = HANG_AFTER_SECONDS
    dump_wait: float = DUMP_WAIT_SECONDS
    clock: Callable[[], float] = time.monotonic
    on_hang: Callable[[str], None] | None = None
    hung: list[str] = field(default_factory=list)
    _watched: list[Watched] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None

    def watch(self, server: Server, question: str, probe: Callable[[], bool]) -> None:
        """Watch a started, ready server (in place of an earlier one of the same name). While its process
        does not run (stopped, killed by a test, restarting) it is not asked, and not hung."""
        with self._lock:
            self._watched = [w for w in self._watched if w.server.name != server.name]
            self._watched.append(Watched(server, question, probe, self.clock()))
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="watchdog", daemon=True)
            self._thread.start()

    def check_once(self) -> None:
        """Ask every watched server once; SIGQUIT and report those silent for too long."""
        with self._lock:
            watched = list(self._watched)
        for item in watched:
            if not item.server.running() or item.probe():
                item.answered_at = self.clock()
            elif self.clock() - item.answered_at >= self.hang_after and item.server.running():
                self._hung(item)

    def _run(self) -> None:  # a daemon thread: it ends with the process
        while True:
            time.sleep(self.probe_every)
            try:
                self.check_once()
            except OSError:  # a server that went away meanwhile is not hung
                continue

    def _hung(self, item: Watched) -> None:
        with self._lock:
            self._watched.remove(item)
        silent = self.clock() - item.answered_at
        process = item.server.process
        states = ""
        if process is not None:
            size = _size(item.server.log_path)
            os.kill(process.pid, signal.SIGQUIT)
            try:
                process.wait(self.dump_wait)
            except subprocess.TimeoutExpired:  # no dump handler (not a Go server): stopped for good
                item.server.kill()
            states = goroutine_states(_read_from(item.server.log_path, size))
        message = (
            f"{item.server.name} hung: no answer to {item.question} for {silent:.0f} s; it got SIGQUIT, "
            f"its goroutine dump is in {item.server.log_path}" + (f" ({states})" if states else "")
        )
        self.hung.append(message)
        if self.on_hang is not None:
            self.on_hang(message)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _read_from(path: Path, offset: int) -> str:
    try:
        with path.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")
    except OSError:
        return ""


def fail_main_thread(watchdog: Watchdog) -> None:
    """Make a hang raise ServerHung in the main thread, wherever it waits (a sleep, a subprocess, a
    socket): the watchdog's thread signals the process, the main thread's handler raises."""

    def raise_hung(*_: object) -> None:
        raise ServerHung("; ".join(watchdog.hung) or "a test server hung")

    try:
        signal.signal(FAILURE_SIGNAL, raise_hung)
    except ValueError:  # not the main thread (e.g. an environment started in a helper thread)
        return
    watchdog.on_hang = lambda _message: os.kill(os.getpid(), FAILURE_SIGNAL)


def answers(url: str, timeout: float = 10.0, context: object = None) -> bool:
    """True when the server answers `url` at all, with any status: a server that says it is unwell
    is not hung."""
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context):  # type: ignore[arg-type]
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False


@functools.cache
def shared() -> Watchdog:
    """The one watchdog of this process (one thread for every server), failing the main thread."""
    watchdog = Watchdog()
    fail_main_thread(watchdog)
    return watchdog
