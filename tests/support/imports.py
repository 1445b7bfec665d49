"""The project's import graph, read with ast: every import counts (type-checking and function-level
ones too), so a cycle cannot hide behind `if TYPE_CHECKING`."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Where importable code lives, as the Makefile's PYTHONPATH and bench/'s own path have it.
SOURCE_ROOTS = ("operator", "bench", "devenv")


@dataclass(frozen=True)
class Module:
    name: str  # dotted, as imported from its source root
    path: Path
    package: bool  # an __init__.py

    @property
    def parent(self) -> str:
        return self.name if self.package else self.name.rpartition(".")[0]


def modules(roots: tuple[str, ...] = SOURCE_ROOTS) -> dict[str, Module]:
    found: dict[str, Module] = {}
    for root in roots:
        base = REPO / root
        for path in sorted(base.rglob("*.py")):
            parts = list(path.relative_to(base).with_suffix("").parts)
            package = parts[-1] == "__init__"
            name = ".".join(parts[:-1] if package else parts)
            if name:
                found.setdefault(name, Module(name, path, package))
    return found


def imported_names(module: Module) -> Iterator[str]:
    """Every name `module` imports, absolute and dotted (a `from x import y` gives x and x.y)."""
    for node in ast.walk(ast.parse(module.path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.parent.split(".") if module.parent else []
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, *([node.module] if node.module else [])])
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def graph(found: dict[str, Module]) -> dict[str, set[str]]:
    """Module -> the project modules it imports (a package's __init__ importing its own
    submodules to re-export them is not counted)."""
    edges: dict[str, set[str]] = {}
    for name, module in found.items():
        targets = set()
        for imported in imported_names(module):
            while imported and imported not in found:
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                targets.add(imported)
        if module.package:
            targets = {t for t in targets if not t.startswith(f"{name}.")}
        edges[name] = targets
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or round a loop (Tarjan's SCCs)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups
