"""The image built by `make image` (hack/image.sh), and its containers run by podman on this machine."""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evercert_devenv.binaries import REPO

# crun refuses cgroup v1/v2 hybrid hosts with controllers on the v2 side ("cgroups in hybrid mode
# not supported, drop all controllers from cgroupv2"); runc runs there as well as elsewhere.
RUNTIME = "runc"
# What the Pods of the chart and the solver ask for: a read-only root, no capabilities.
POD_LIKE = ("--read-only", "--cap-drop=ALL", "--security-opt=no-new-privileges")


@dataclass(frozen=True)
class BuiltImage:
    name: str
    output: str
    seconds: float


def build_image(again: bool = False) -> BuiltImage:
    """`make image`: a build when its inputs changed, else a check that it is in the local storage;
    `again`: a new build all the same, from clean caches (Debian packages and wheels downloaded anew)."""
    started = time.monotonic()
    env = {**os.environ, "EVERCERT_IMAGE_REBUILD": "1"} if again else None
    script = str(REPO / "hack" / "image.sh")
    result = subprocess.run(["bash", script], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    return BuiltImage(result.stdout.strip().splitlines()[-1], result.stderr, time.monotonic() - started)


def sbom_path(built: BuiltImage) -> Path:
    """The CycloneDX SBOM hack/image.sh wrote beside the image (its log names it)."""
    (path,) = re.findall(r"SBOM (\S+\.cdx\.json)", built.output)[-1:]
    return Path(path)


def podman(*args: str, check: bool = True) -> str:
    result = subprocess.run(["podman", *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def inspect(image: str) -> dict[str, Any]:
    (found,) = json.loads(podman("image", "inspect", image))
    return dict(found)


@contextmanager
def mounted(image: str) -> Iterator[Path]:
    """The image's root file system, read on the host (root's podman mounts it without a container)."""
    root = Path(podman("image", "mount", image).strip())
    try:
        yield root
    finally:
        podman("image", "unmount", image)


def limits() -> list[str]:
    """podman asks the runtime for more open files and processes than this machine's hard limits,
    which fails without CAP_SYS_RESOURCE; podman itself runs with at most 32768 processes."""
    files = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    processes = min(resource.getrlimit(resource.RLIMIT_NPROC)[1], 32768)
    return [f"--ulimit=nofile={files}:{files}", f"--ulimit=nproc={processes}:{processes}"]


def run_argv(
    image: str,
    name: str,
    args: Sequence[str],
    env: Mapping[str, str] | None = None,
    volumes: Mapping[Path, str] | None = None,
) -> list[str]:
    """`podman run` of the image in the host's network namespace (the test bed listens on loopback)."""
    options = [f"--env={key}={value}" for key, value in (env or {}).items()]
    options += [f"--volume={source}:{target}:ro" for source, target in (volumes or {}).items()]
    return [
        "podman",
        f"--runtime={RUNTIME}",
        "run",
        "--rm",
        f"--name={name}",
        "--network=host",
        *POD_LIKE,
        *limits(),
        *options,
        image,
        *args,
    ]


def remove(name: str) -> None:
    podman("rm", "--force", "--ignore", "--time=5", name)
