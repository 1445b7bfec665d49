"""String literals in the operator's source, read with ast (docstrings left out)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

OPERATOR = Path(__file__).resolve().parents[2] / "operator" / "evercert"


@dataclass(frozen=True)
class Literal:
    path: Path
    line: int
    value: str

    def __str__(self) -> str:
        return f"{self.path.relative_to(OPERATOR.parent)}:{self.line}: {self.value!r}"


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def string_literals(path: Path) -> Iterator[Literal]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield Literal(path, node.lineno, node.value)


def calls(path: Path) -> Iterator[tuple[int, str]]:
    """Each call of a dotted name (`kopf.event(...)` gives "kopf.event") with its line."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        func = node.func if isinstance(node, ast.Call) else None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            yield node.lineno, f"{func.value.id}.{func.attr}"


def assigned_twice(path: Path) -> list[str]:
    """Module-level names assigned more than once."""
    seen: set[str] = set()
    twice = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    if target.id in seen:
                        twice.append(target.id)
                    seen.add(target.id)
    return twice


def sources(exclude: tuple[str, ...] = ()) -> list[Path]:
    """The operator's modules, but those named (paths relative to operator/evercert)."""
    return [p for p in sorted(OPERATOR.rglob("*.py")) if str(p.relative_to(OPERATOR)) not in exclude]
