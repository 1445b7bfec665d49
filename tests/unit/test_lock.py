"""The lock files pin every Python dependency pyproject.toml names, at versions it allows, with hashes;
the image's and the tests' locks agree. A change of pyproject.toml without `make lock` fails here."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def pins(lock: str) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) for every pin of a lock file."""
    found: dict[str, tuple[str, int]] = {}
    name = ""
    for line in (REPO / lock).read_text().splitlines():
        if match := PIN.match(line):
            name = canonicalize_name(match[1])
            found[name] = (match[2], 0)
        elif line.strip().startswith("--hash=sha256:") and name:
            version, hashes = found[name]
            found[name] = (version, hashes + 1)
    return found


LOCKS = {
    "requirements.lock": PYPROJECT["project"]["dependencies"],
    "requirements-test.lock": PYPROJECT["project"]["dependencies"]
    + PYPROJECT["project"]["optional-dependencies"]["test"],
    "requirements-build.lock": PYPROJECT["build-system"]["requires"],
}


@pytest.mark.parametrize("lock", LOCKS)
def test_every_dependency_is_locked_at_a_version_pyproject_allows(lock: str) -> None:
    locked = pins(lock)
    for line in LOCKS[lock]:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement.name} is not in {lock}: run `make lock`"
        assert requirement.specifier.contains(locked[name][0], prereleases=True), (
            f"{lock} pins {name}=={locked[name][0]}, pyproject.toml asks {requirement}: run `make lock`"
        )


@pytest.mark.parametrize("lock", LOCKS)
def test_every_pin_has_a_hash(lock: str) -> None:
    assert [name for name, (_, hashes) in pins(lock).items() if hashes == 0] == []


def test_the_tests_run_the_versions_the_image_ships() -> None:
    image, tests = pins("requirements.lock"), pins("requirements-test.lock")
    assert {name: image[name][0] for name in image} == {name: tests[name][0] for name in image}
