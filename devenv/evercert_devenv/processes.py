"""Start and stop the local servers as child processes, with their output in log files."""

from __future__ import annotations

import atexit
import os
import random
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listen_port() -> int:
    """A port nothing uses now, below the kernel's ephemeral range, for a server another process starts
    later: a free_port() may meanwhile become the local port of some outgoing connection."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for port in random.sample(range(10000, low), 200):
        with socket.socket() as s:
            try:
                s.bind(("0.0.0.0", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port between 10000 and {low}")


# Every Server started and not stopped, by id: what stop_all stops when this process ends.
_RUNNING: dict[int, Server] = {}


@dataclass
class Server:
    """One child process and the log file it writes to."""

    name: str
    argv: Sequence[str]
    log_path: Path
    env: Mapping[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            list(self.argv),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **self.env},
            start_new_session=True,
        )
        log.close()
        _RUNNING[id(self)] = self

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL, as a crash would: no clean-up code runs."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None
        _RUNNING.pop(id(self), None)

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None
        _RUNNING.pop(id(self), None)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@atexit.register
def stop_all() -> None:
    """Stop every server still running, newest first (each runs in a process group of its own, so
    nothing else stops them when this process ends)."""
    for server in reversed(list(_RUNNING.values())):
        try:
            server.stop(timeout=5.0)
        except OSError:  # already gone
            _RUNNING.pop(id(server), None)


def stop_on_signals() -> None:
    """SIGTERM and SIGHUP end this process as Ctrl-C does (an exception in the main thread), so the
    `finally`s and `with` blocks stop what it started; stop_all catches the rest at exit. Also when
    the parent (`make`) is killed: this process then gets SIGTERM (Linux's parent-death signal)."""

    def end(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, end)
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: a killed parent leaves this process running
        pass


def wait_until(check: Callable[[], bool], server: Server, timeout: float) -> None:
    """Poll `check` until it is true; fail with the server's log when it dies or time runs out."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    while time.monotonic() < deadline:
        if not server.running():
            raise RuntimeError(f"{server.name} exited early:\n{server.log_tail()}")
        if check():
            return
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)
    raise TimeoutError(f"{server.name} not ready after {timeout} s:\n{server.log_tail()}")


def http_ok(url: str, context: ssl.SSLContext | None = None, timeout: float = 2.0) -> bool:
    """True when a GET of `url` answers 200."""
    try:
        with urllib.request.urlopen(url, context=context, timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False
