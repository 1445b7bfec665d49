"""The solver Pod starts fast: `evercert solve` loads the server and nothing of the operator's side."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

OPERATOR = Path(__file__).resolve().parents[2] / "operator"
# kubernetes_asyncio's re-exporting packages are empty stand-ins (kube/lazy.py); none of its classes.
HEAVY = (
    "cryptography",
    "kopf",
    "acme",
    "kubernetes_asyncio.client.models.",
    "kubernetes_asyncio.client.api.",
    "kubernetes_asyncio.client.api_client",
    "evercert.api",
    "evercert.settings",
)
# Standard modules that cost milliseconds at every start: http.server's (http.client, email, ssl),
# dataclasses' (inspect), kube/lazy.py's parser (ast), typing, and shutil (argparse's terminal width).
SLOW_STDLIB = (
    "http.client",
    "http.server",
    "email",
    "ssl",
    "ast",
    "dataclasses",
    "inspect",
    "typing",
    "shutil",
)
PROBE = """
import json, sys
from evercert.cli import main
try:
    main(["solve", "--help"])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""


def modules_loaded_by_solve_help() -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(OPERATOR)}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    assert "--port" in done.stdout  # the solver's own help
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_solve_imports_none_of_the_operator() -> None:
    assert [name for name in modules_loaded_by_solve_help() if name.startswith(HEAVY)] == []


def test_solve_imports_none_of_the_slow_standard_modules() -> None:
    loaded = modules_loaded_by_solve_help()
    assert "evercert.solver.server" in loaded
    slow = [name for name in loaded if name.split(".")[0] in SLOW_STDLIB or name in SLOW_STDLIB]
    assert slow == []
