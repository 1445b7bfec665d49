"""The solver Pod starts fast: `evercert solve` loads the server and nothing of the operator's side."""

from __future__ import annotations

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
PROBE = """
import sys
from evercert.cli import main
try:
    main(["solve", "--help"])
except SystemExit:
    pass
print("loaded:" + ",".join(sorted(m for m in sys.modules if m.startswith(HEAVY))))
"""


def test_solve_imports_none_of_the_operator() -> None:
    code = f"HEAVY = {HEAVY!r}\n{PROBE}"
    env = {**os.environ, "PYTHONPATH": str(OPERATOR)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert "--port" in done.stdout  # the solver's own help
    assert done.stdout.strip().splitlines()[-1] == "loaded:"
