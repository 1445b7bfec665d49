"""The tests' own rules: helpers come from tests/support/ (conftest.py files keep fixtures), and the
tests against real servers wait for conditions instead of sleeping (unit tests fake the loop's time)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
REAL_SERVERS = ("integration", "e2e")


def modules_in(*folders: str) -> list[Path]:
    roots = [TESTS / folder for folder in folders] if folders else [TESTS]
    return [p for root in roots for p in sorted(root.rglob("*.py")) if "support" not in p.parts]


def imports_from_a_conftest(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[-1] == "conftest":
            return True
        if isinstance(node, ast.Import) and any(a.name.split(".")[-1] == "conftest" for a in node.names):
            return True
    return False


def sleeps(path: Path) -> list[int]:
    """Lines that call a `sleep` (time.sleep, asyncio.sleep, or one imported by name)."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Attribute) and node.func.attr == "sleep")
            or (isinstance(node.func, ast.Name) and node.func.id == "sleep")
        )
    ]


def test_helpers_come_from_tests_support() -> None:
    found = [str(p.relative_to(TESTS)) for p in modules_in() if imports_from_a_conftest(p)]
    assert found == [], f"import helpers from tests/support/, not from a conftest: {found}"


def test_tests_against_real_servers_wait_for_conditions_not_fixed_sleeps() -> None:
    found = [f"{p.relative_to(TESTS)}:{line}" for p in modules_in(*REAL_SERVERS) for line in sleeps(p)]
    assert found == [], f"wait for a condition (tests/support/waiting.py) instead of sleeping: {found}"


def test_a_sleep_and_a_conftest_import_are_found(tmp_path: Path) -> None:
    module = tmp_path / "test_x.py"
    module.write_text(
        "import asyncio\nfrom ..conftest import get\n\n\nasync def f():\n    await asyncio.sleep(1)\n"
    )
    assert imports_from_a_conftest(module) and sleeps(module) == [6]
