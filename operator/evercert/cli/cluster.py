"""Reaching the cluster the kubectl way: --kubeconfig / $KUBECONFIG, --context, -n / -A, and its errors."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from kubernetes_asyncio import client, config
from kubernetes_asyncio.client.exceptions import ApiException
from kubernetes_asyncio.config.config_exception import ConfigException

from ..kube.client import Kube

# Inside a Pod with no kubeconfig, kubectl falls back to the Pod's ServiceAccount; so do we.
SERVICE_ACCOUNT_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
DEFAULT_NAMESPACE = "default"

Command = Callable[[Kube, argparse.Namespace], Awaitable[int]]


def add_connection_flags(parser: argparse.ArgumentParser, *, all_namespaces: bool = True) -> None:
    """The kubectl flags every command that talks to the cluster takes."""
    parser.add_argument("--kubeconfig", help="path to the kubeconfig file (default: $KUBECONFIG)")
    parser.add_argument("--context", help="the kubeconfig context to use")
    scope = parser.add_mutually_exclusive_group() if all_namespaces else parser
    scope.add_argument("-n", "--namespace", help="the namespace (default: the context's, else default)")
    if all_namespaces:
        scope.add_argument("-A", "--all-namespaces", action="store_true", help="look in every namespace")


def run(command: Command, options: argparse.Namespace, error_status: int = 1) -> int:
    """Connect, run the command, close; a failure to reach or ask the cluster prints why and exits."""
    try:
        return asyncio.run(_connected(command, options))
    except ApiException as exc:
        print(api_error_text(exc), file=sys.stderr)
    except ConfigException as exc:
        print(f"error: the kubeconfig cannot be used: {exc}", file=sys.stderr)
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        print(f"error: unable to connect to the server: {exc or type(exc).__name__}", file=sys.stderr)
    return error_status


async def _connected(command: Command, options: argparse.Namespace) -> int:
    kube, namespace = await connect(options.kubeconfig, options.context, options.namespace)
    options.namespace = namespace
    try:
        return await command(kube, options)
    finally:
        await kube.close()


async def connect(kubeconfig: str | None, context: str | None, namespace: str | None) -> tuple[Kube, str]:
    """A client for the chosen kubeconfig and context, and the namespace the command should use."""
    configuration = client.Configuration()
    if _in_pod(kubeconfig, context):
        config.load_incluster_config(client_configuration=configuration)
        default = SERVICE_ACCOUNT_NAMESPACE.read_text().strip()
    else:
        loader = await config.load_kube_config(
            config_file=kubeconfig, context=context, client_configuration=configuration, persist_config=False
        )
        current = loader.current_context or {}
        default = (current.get("context") or {}).get("namespace") or DEFAULT_NAMESPACE
    return Kube(client.ApiClient(configuration)), namespace or default


def _in_pod(kubeconfig: str | None, context: str | None) -> bool:
    if kubeconfig or context or os.environ.get("KUBECONFIG"):
        return False
    home_config = Path("~/.kube/config").expanduser()
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and not home_config.exists()


def api_error_text(exc: ApiException) -> str:
    """The apiserver's own words, as kubectl prints them: `Error from server (NotFound): ...`."""
    try:
        body = json.loads(exc.body or "")
    except (TypeError, ValueError):
        body = None
    if isinstance(body, dict) and body.get("message"):
        return f"Error from server ({body.get('reason') or exc.reason}): {body['message']}"
    return f"Error from server ({exc.reason}): status {exc.status}"
