"""kopf's private modules are fenced into one module (kube/kopf_internals.py), which lists every private
name evercert uses in the shape it is used; another kopf fails here naming what changed."""

from __future__ import annotations

import ast
import dataclasses
import importlib.metadata
import re
import tomllib
from pathlib import Path

import pytest

from evercert.kube import kopf_internals
from evercert.kube.kopf_internals import KOPF_VERSION, RELIED, Relied, breaches

REPO = Path(__file__).resolve().parents[2]
FENCE = REPO / "operator" / "evercert" / "kube" / "kopf_internals.py"


@pytest.mark.parametrize("relied", RELIED, ids=[relied.path for relied in RELIED])
def test_the_installed_kopf_has_each_private_name_as_evercert_uses_it(relied: Relied) -> None:
    assert breaches((relied,)) == [], (
        f"kopf's private API changed; adapt evercert/{relied.used_by} and kube/kopf_internals.py, "
        "or install the pinned kopf"
    )


def test_a_changed_signature_is_named_with_what_it_was_and_is() -> None:
    (relied,) = [r for r in RELIED if r.path.endswith(".match_namespace")]
    changed = dataclasses.replace(relied, signature="(name, pattern, strict)")
    (breach,) = breaches((changed,))
    assert breach == (
        f"kopf {importlib.metadata.version('kopf')}: kopf._cogs.structs.references.match_namespace "
        "(used by evercert/kube/listing.py): its signature was (name, pattern, strict) and is now "
        "(name, pattern)"
    )


def test_a_missing_name_or_attribute_is_named() -> None:
    gone = Relied("kopf._core.reactor.processing.no_such_function", "handlers/event_only.py", "()")
    (relied,) = [r for r in RELIED if r.path.endswith("aiotoggles.ToggleSet")]
    lacking = dataclasses.replace(relied, attributes=("_condition", "_waiters"))
    assert [b.split(": ", 1)[1] for b in breaches((gone, lacking))] == [
        "kopf._core.reactor.processing.no_such_function (used by evercert/handlers/event_only.py) is gone",
        "kopf._cogs.aiokits.aiotoggles.ToggleSet (used by evercert/handlers/readiness.py): "
        "it no longer has _waiters",
    ]


def _private_kopf_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        found += [f"{path.relative_to(REPO)}:{node.lineno} {n}" for n in names if n.startswith("kopf._")]
    return found


def test_no_module_but_the_fence_imports_kopf_private_modules() -> None:
    sources = [*(REPO / "operator").rglob("*.py"), *(REPO / "bench").rglob("*.py")]
    outside = [hit for path in sources if path != FENCE for hit in _private_kopf_imports(path)]
    assert outside == [], "import these through evercert.kube.kopf_internals (and list them in RELIED)"


def test_every_private_kopf_name_the_fence_exports_is_listed() -> None:
    listed = " ".join(relied.path for relied in RELIED)
    for name in kopf_internals.__all__:
        if name[0].isupper() and name not in {"KOPF_VERSION", "RELIED"}:
            assert re.search(rf"\.{name}\b", listed), f"{name} is exported but not in RELIED"


def test_pyproject_pins_the_kopf_the_fence_was_checked_against() -> None:
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"kopf=={KOPF_VERSION}" in dependencies
    installed = importlib.metadata.version("kopf")
    assert installed == KOPF_VERSION, (
        f"kopf {installed} is installed, the fence was checked against {KOPF_VERSION}: when the tests "
        "above pass with it, set KOPF_VERSION, the pin in pyproject.toml and run `make lock`"
    )
