"""`version`: the plugin's version, and the operator's as its Deployment says (the chart's labels)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any

from kubernetes_asyncio.client.exceptions import ApiException

from .. import __version__
from ..kube.client import Kube, answer
from . import cluster

OPERATOR_SELECTOR = "app.kubernetes.io/name=evercert"
VERSION_LABEL = "app.kubernetes.io/version"


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("version", help="the plugin's version and the operator's")
    parser.add_argument("--client", action="store_true", help="the plugin's only (no cluster needed)")
    cluster.add_connection_flags(parser, all_namespaces=False)
    parser.set_defaults(handler=_run)


def _run(options: argparse.Namespace) -> int:
    print(f"Plugin:   {__version__}")
    if options.client:
        return 0
    return cluster.run(show_operator, options)


async def show_operator(kube: Kube, options: argparse.Namespace) -> int:
    try:
        listed = await answer(
            kube.apps.list_deployment_for_all_namespaces(
                label_selector=OPERATOR_SELECTOR, _preload_content=False
            )
        )
    except ApiException as exc:
        if exc.status != 403:
            raise
        print("Operator: unknown (not allowed to list Deployments)")
        return 0
    print(f"Operator: {operator_versions(listed.get('items') or [])}")
    return 0


def operator_versions(deployments: Sequence[Mapping[str, Any]]) -> str:
    """Each evercert Deployment's version label and image, or why none is shown."""
    found = []
    for deployment in deployments:
        metadata = deployment.get("metadata") or {}
        containers = ((((deployment.get("spec") or {}).get("template") or {}).get("spec")) or {}).get(
            "containers"
        )
        image = (containers or [{}])[0].get("image") or "?"
        version = (metadata.get("labels") or {}).get(VERSION_LABEL) or "?"
        found.append(f"{version} ({metadata.get('namespace')}/{metadata.get('name')}, image {image})")
    return "; ".join(found) or "not found (no Deployment labelled app.kubernetes.io/name=evercert)"
