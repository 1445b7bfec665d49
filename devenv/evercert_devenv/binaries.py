"""Find the server binaries, building whatever is missing through hack/testbin.sh."""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@functools.cache
def testbin_dir() -> Path:
    """The directory with kube-apiserver, etcd, kubectl, helm and Pebble (built once, then cached)."""
    if os.environ.get("EVERCERT_TESTBIN_DIR"):
        return Path(os.environ["EVERCERT_TESTBIN_DIR"])
    result = subprocess.run(
        ["bash", str(REPO / "hack" / "testbin.sh")], check=True, stdout=subprocess.PIPE, text=True
    )
    return Path(result.stdout.strip().splitlines()[-1])


def binary(name: str) -> str:
    path = testbin_dir() / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `make testbin`")
    return str(path)
