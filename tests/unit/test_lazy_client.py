"""kubernetes_asyncio loads only the classes the operator uses (kube/lazy.py)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from evercert.kube import lazy

OPERATOR = Path(__file__).resolve().parents[2] / "operator"


def run_fresh(code: str) -> dict[str, object]:
    """Run `code` in a new interpreter that imports evercert first, as `evercert run` does."""
    script = f"import sys, json\nsys.path.insert(0, {str(OPERATOR)!r})\nimport evercert\n{code}"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_reexports_names_each_class_with_its_module() -> None:
    spec = importlib.util.find_spec("kubernetes_asyncio.client")
    assert spec is not None and spec.origin is not None
    init = Path(spec.origin)
    table = lazy.reexports(init)
    assert table["CoreV1Api"] == "kubernetes_asyncio.client.api.core_v1_api"
    assert table["V1Secret"] == "kubernetes_asyncio.client.models.v1_secret"
    assert table["ApiException"] == "kubernetes_asyncio.client.exceptions"
    assert "absolute_import" not in table


def test_importing_kopf_loads_no_generated_models() -> None:
    found = run_fresh(
        "import kopf\n"
        "models = [m for m in sys.modules if m.startswith('kubernetes_asyncio.client.models.')]\n"
        "apis = [m for m in sys.modules if m.startswith('kubernetes_asyncio.client.api.')]\n"
        "print(json.dumps({'models': sorted(models), 'apis': apis}))"
    )
    # kopf itself asks for these two (to recognise the library's objects), nothing else.
    assert found["models"] == [
        "kubernetes_asyncio.client.models.v1_object_meta",
        "kubernetes_asyncio.client.models.v1_owner_reference",
    ]
    assert found["apis"] == []


def test_classes_submodules_and_deserialization_still_work() -> None:
    found = run_fresh(
        "import kubernetes_asyncio\n"
        "from kubernetes_asyncio import client\n"
        "from kubernetes_asyncio.client.exceptions import ApiException\n"
        "import asyncio\n"
        "class Response:\n"
        "    data = json.dumps({'kind': 'Secret', 'metadata': {'name': 's'}, 'type': 'kubernetes.io/tls'})\n"
        "async def deserialize():\n"
        "    async with client.ApiClient(client.Configuration()) as api:\n"
        "        return api.deserialize(Response(), 'V1Secret')\n"
        "secret = asyncio.run(deserialize())\n"
        "print(json.dumps({\n"
        "    'core': client.CoreV1Api.__name__,\n"
        "    'secret': [type(secret).__name__, secret.metadata.name, secret.type],\n"
        "    'same_exception': client.ApiException is ApiException,\n"
        "    'watch': kubernetes_asyncio.watch.Watch.__name__,\n"
        "    'config': callable(kubernetes_asyncio.config.load_kube_config),\n"
        "    'missing': hasattr(client, 'NoSuchThing'),\n"
        "}))"
    )
    assert found == {
        "core": "CoreV1Api",
        "secret": ["V1Secret", "s", "kubernetes.io/tls"],
        "same_exception": True,
        "watch": "Watch",
        "config": True,
        "missing": False,
    }


def test_install_leaves_an_already_imported_package_alone() -> None:
    found = run_fresh("print(json.dumps({'again': evercert.kube.lazy.install()}))")
    assert found == {"again": False}
