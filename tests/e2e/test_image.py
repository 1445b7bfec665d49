"""The Dockerfile: hadolint-clean, one image with the operator and the solver, the user everyone expects."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from evercert.solver.pod import SOLVER_UID
from evercert_devenv.binaries import REPO

DOCKERFILE = REPO / "Dockerfile"


def instructions(name: str) -> list[str]:
    """The arguments of every `name` instruction of the final stage."""
    final = DOCKERFILE.read_text().rsplit("\nFROM ", 1)[1]
    return [line.split(" ", 1)[1].strip() for line in final.splitlines() if line.startswith(f"{name} ")]


def hadolint() -> str:
    beside_python = Path(sys.executable).parent / "hadolint"
    found = str(beside_python) if beside_python.exists() else shutil.which("hadolint")
    assert found, "hadolint is missing: it comes with the test extras (pip install -e '.[test]')"
    return found


def test_hadolint_finds_nothing() -> None:
    result = subprocess.run([hadolint(), str(DOCKERFILE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_operator_is_the_default_command_and_solve_is_the_other() -> None:
    assert [json.loads(e) for e in instructions("ENTRYPOINT")] == [["evercert"]]
    assert [json.loads(c) for c in instructions("CMD")] == [["run"]]
    assert DOCKERFILE.read_text().startswith("# syntax=")


def test_it_runs_as_the_non_root_user_the_chart_and_the_solver_pods_ask_for() -> None:
    assert instructions("USER") == [f"{SOLVER_UID}:{SOLVER_UID}"]
    deployment = (REPO / "deploy" / "helm" / "evercert" / "templates" / "deployment.yaml").read_text()
    assert f"runAsUser: {SOLVER_UID}" in deployment


def test_the_build_context_holds_exactly_what_the_build_copies() -> None:
    """pyproject.toml names README.md as the readme, so the build needs it as well as operator/."""
    patterns = [
        line for line in (REPO / ".dockerignore").read_text().splitlines() if line[:1] not in ("", "#")
    ]
    assert patterns[:4] == ["*", "!pyproject.toml", "!README.md", "!operator/"]
    build = DOCKERFILE.read_text().split("\nFROM ", 2)[1]
    assert "COPY pyproject.toml README.md ./" in build and "COPY operator ./operator" in build
