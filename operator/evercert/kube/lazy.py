"""Load kubernetes_asyncio without its ~830 generated API and model classes up front.

The package's `__init__` files import every class they re-export (26 MB of code and objects), and kopf
imports `kubernetes_asyncio.client` whenever the package is installed. `install()` registers the
four re-exporting packages as empty modules that import a name's own module on first use, so the
operator pays only for the few classes it touches. It must run before anything imports the package.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

# Annotations only: typing and pathlib stay unloaded, since every evercert process runs install().
TYPE_CHECKING = False
if TYPE_CHECKING:
    from os import PathLike
    from typing import Any

PACKAGE = "kubernetes_asyncio"
# Packages whose __init__ only re-exports names from their submodules (or imports subpackages).
REEXPORTING = (PACKAGE, f"{PACKAGE}.client", f"{PACKAGE}.client.api", f"{PACKAGE}.client.models")


def reexports(init_file: str | PathLike[str]) -> dict[str, str]:
    """Each name the `__init__` file imports from another module, with that module's name."""
    import ast  # here, not at the top: it is needed only on the first lookup of a lazy name

    with open(init_file, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module != "__future__":
            for alias in node.names:
                found[alias.asname or alias.name] = node.module
    return found


def _lazy_module(name: str) -> types.ModuleType | None:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None or spec.submodule_search_locations is None:
        return None
    module = importlib.util.module_from_spec(spec)
    origin = spec.origin
    table: dict[str, str] = {}

    def __getattr__(attribute: str) -> Any:
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        if not table:
            table.update(reexports(origin))
        source = table.get(attribute)
        try:
            if source is None:  # a submodule nobody imported yet, such as `kubernetes_asyncio.watch`
                value = importlib.import_module(f"{name}.{attribute}")
            else:
                value = getattr(importlib.import_module(source), attribute)
        except ModuleNotFoundError:
            raise AttributeError(f"module {name!r} has no attribute {attribute!r}") from None
        setattr(module, attribute, value)
        return value

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    return module


def install() -> bool:
    """Register the lazy packages; False when the package is missing or was already imported."""
    if any(name in sys.modules for name in REEXPORTING) or importlib.util.find_spec(PACKAGE) is None:
        return False
    for name in REEXPORTING:
        module = _lazy_module(name)
        if module is None:
            raise ImportError(f"{name} is not a package: the lazy loading does not fit this version")
        sys.modules[name] = module
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, module)
    return True
