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


def gateway_api_crds() -> Path:
    """The directory with the Gateway API CRDs (standard channel) that hack/testbin.sh fetched."""
    link = testbin_dir() / "gateway-api-crds"
    if not link.is_dir():
        raise FileNotFoundError(f"{link} is missing: run `make testbin`")
    return link.resolve()  # kubectl reads a directory given as a symlink as one file


def cert_manager_crds() -> Path:
    """The directory with cert-manager's CRDs that hack/testbin.sh fetched from its Go module."""
    link = testbin_dir() / "cert-manager-crds"
    if not link.is_dir():
        raise FileNotFoundError(f"{link} is missing: run `make testbin`")
    return link.resolve()


def binary(name: str) -> str:
    path = testbin_dir() / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `make testbin`")
    return str(path)
