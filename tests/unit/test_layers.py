"""The shape of the code, checked: only handlers/ knows the Runtime, no module imports itself round a
loop (counting type-checking imports, bench/ and devenv/ too), and the top of the package stays short."""

from __future__ import annotations

from tests.support.imports import REPO, cycles, graph, imported_names, modules

RUNTIME = "evercert.runtime"


def imports_runtime(imported: str) -> bool:
    return imported == RUNTIME or imported.startswith(f"{RUNTIME}.")


def test_no_module_below_handlers_imports_the_runtime() -> None:
    importers = sorted(
        name
        for name, module in modules(("operator",)).items()
        if name != RUNTIME
        and not name.startswith("evercert.handlers")
        and any(imports_runtime(imported) for imported in imported_names(module))
    )
    assert importers == [], f"only handlers/ may import runtime.py; pass them what they use: {importers}"


def test_no_import_cycle() -> None:
    found = cycles(graph(modules()))
    assert found == [], f"modules that import each other (type-checking imports count): {found}"


def test_a_cycle_is_found() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_at_most_ten_modules_at_the_top_of_the_package() -> None:
    top = sorted(p.name for p in (REPO / "operator" / "evercert").glob("*.py"))
    assert len(top) <= 10, f"move one-fact modules into a package (e.g. core/): {top}"
