"""Where the operator's CPU goes: py-spy samples the running process, this sums the samples up.

py-spy (a PyPI wheel with its own binary) reads the process's memory from outside, so the operator
runs unchanged; it pauses the process for each sample, which lets it leave idle threads out (so the
samples are time on a CPU). Innermost frames that still mean waiting are left out here as well."""

from __future__ import annotations

import collections
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RATE = 100  # samples per second
# Innermost Python frames of a thread that waits (py-spy's idle filter misses some): the event loop in
# epoll, an idle worker of a thread pool, the ACME client waiting for an answer or between two polls.
WAITING = {
    ("select", "selectors.py"),
    ("_worker", "concurrent/futures/thread.py"),
    ("read", "ssl.py"),  # SSLSocket.read: a blocking socket (requests); asyncio's are SSLObject's
    ("_poll", "evercert/acme/order.py"),  # its pause between two polls
}
# "function (path/to/file.py:123)" in py-spy's raw (collapsed) format
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")


def py_spy() -> str | None:
    """The py-spy binary installed beside this Python, or on PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


@dataclass
class Profile:
    """py-spy recording one process until stopped."""

    pid: int
    output: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> bool:
        binary = py_spy()
        if binary is None:
            return False
        command = [binary, "record", "--pid", str(self.pid), "--rate", str(RATE)]
        command += ["--format", "raw", "--output", str(self.output)]
        log = self.output.with_suffix(".log").open("wb")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        return True

    def stop(self) -> None:
        """SIGINT makes py-spy write what it sampled and exit."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(2)
            self.process.wait(30)


def _frame(text: str) -> tuple[str, str]:
    """(function, file shortened to its package path) of one frame."""
    match = FRAME.match(text.strip())
    if match is None:
        return text.strip(), ""
    path = match["file"]
    for marker in ("/site-packages/", "/operator/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return match["function"], path


def summarize(path: Path, top: int = 15) -> dict[str, Any]:
    """Shares of the samples: by function's own time, by evercert function (inclusive), by package."""
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    packages: collections.Counter[str] = collections.Counter()
    total = waiting = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame(f) for f in stack.split(";")]
        function, file = frames[-1]
        if (function.rsplit(".", 1)[-1], file) in WAITING and function != "SSLObject.read":
            waiting += count
            continue
        total += count
        own[f"{file}:{function}"] += count
        packages[file.split("/", 1)[0].removesuffix(".py") or "?"] += count
        for name in {f"{f}:{fn}" for fn, f in frames if f.startswith("evercert/")}:
            inclusive[name] += count

    def shares(counter: collections.Counter[str]) -> list[list[Any]]:
        return [[name, round(100 * n / max(total, 1), 1)] for name, n in counter.most_common(top)]

    return {
        "samples": total,
        "seconds": round(total / RATE, 1),
        "waiting_samples_left_out": waiting,
        "own_percent": shares(own),
        "evercert_inclusive_percent": shares(inclusive),
        "package_percent": shares(packages),
    }
