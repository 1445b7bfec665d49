"""Plays kubelet and ingress controller for evercert's HTTP-01 solver Pods, and for nothing else.

The local control plane has neither. This process watches solver Pods, runs each one's own
`evercert solve` entry point as a local process (on a free port instead of the Pod's), and
serves HTTP on the port Pebble validates against, routing Host + path through the Ingresses (or
the Gateway API HTTPRoutes attached to an existing Gateway) and Services to the right process, as
an ingress or gateway controller would.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from kubernetes_asyncio import client, config, watch

from .processes import free_port

log = logging.getLogger("evercert_devenv.solverhost")

SOLVER_LABEL = "evercert.dev/http01-solver=true"
SOLVER_COMMAND = ["evercert", "solve"]
GATEWAY_GROUP = "gateway.networking.k8s.io"


@dataclass
class RunningSolver:
    namespace: str
    name: str
    labels: dict[str, str]
    args: list[str]  # the Pod's own
    port: int
    process: asyncio.subprocess.Process
    supervisor: asyncio.Task[None] | None = None


@dataclass
class SolverHost:
    api: client.ApiClient
    proxy: aiohttp.ClientSession
    solvers: dict[tuple[str, str], RunningSolver] = field(default_factory=dict)
    # Every Ingress and Service, kept current by watches as an ingress controller's informers do:
    # routing a request must not cost API calls (a hundred self-checks at once would starve the host).
    ingresses: dict[tuple[str, str], Any] = field(default_factory=dict)
    services: dict[tuple[str, str], Any] = field(default_factory=dict)
    # Gateway API objects come from the CustomObjectsApi: plain dicts, as the API sends them.
    httproutes: dict[tuple[str, str], Any] = field(default_factory=dict)
    gateways: dict[tuple[str, str], Any] = field(default_factory=dict)

    async def watch_pods(self) -> None:
        """Start a process for each new solver Pod and stop it when the Pod goes away."""
        core = client.CoreV1Api(self.api)
        while True:
            try:
                async with watch.Watch().stream(
                    core.list_pod_for_all_namespaces, label_selector=SOLVER_LABEL, timeout_seconds=300
                ) as stream:
                    async for event in stream:
                        pod = event["object"]
                        key = (pod.metadata.namespace, pod.metadata.name)
                        if event["type"] == "DELETED" or pod.metadata.deletion_timestamp:
                            await self.stop_solver(key)
                        elif key not in self.solvers:
                            await self.start_solver(pod)
            except (TimeoutError, aiohttp.ClientError, client.ApiException) as exc:
                # The apiserver restarting (a test does that) must not end the watch for good.
                log.warning("pod watch broke (%s); watching again", exc)
                await asyncio.sleep(1)

    async def mirror(self, list_all: Callable[..., Any], store: dict[tuple[str, str], Any]) -> None:
        """Keep `store` equal to every object that `list_all` lists, through a watch."""
        while True:
            try:
                listed = await list_all()
                store.clear()
                store.update({object_key(o): o for o in field_of(listed, "items")})
                version = field_of(field_of(listed, "metadata"), "resource_version")
                async with watch.Watch().stream(
                    list_all, resource_version=version, timeout_seconds=300
                ) as stream:
                    async for event in stream:
                        obj = event["object"]
                        key = object_key(obj)
                        if event["type"] == "DELETED":
                            store.pop(key, None)
                        else:
                            store[key] = obj
            except (TimeoutError, aiohttp.ClientError, client.ApiException) as exc:
                # A Gateway API type whose CRD is not installed yet answers 404 until it is.
                log.warning("%s broke (%s); listing again", getattr(list_all, "__name__", list_all), exc)
                await asyncio.sleep(1)

    async def start_solver(self, pod: Any) -> None:
        container = pod.spec.containers[0]
        if list(container.command or []) != SOLVER_COMMAND:
            log.error(
                "refusing to run %s/%s: not evercert's solver", pod.metadata.namespace, pod.metadata.name
            )
            return
        key = (pod.metadata.namespace, pod.metadata.name)
        await self.spawn(key, dict(pod.metadata.labels or {}), list(container.args or []))

    async def spawn(self, key: tuple[str, str], labels: dict[str, str], args: list[str]) -> None:
        """Run the solver on a port of its own, and again if it fails (restartPolicy OnFailure)."""
        # A solver still starting has not bound its port yet: free_port() may offer that port again.
        taken = {solver.port for solver in self.solvers.values()}
        port = free_port()
        while port in taken:
            port = free_port()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "evercert",
            "solve",
            *solver_args(args, port),
            stdin=asyncio.subprocess.DEVNULL,
        )
        solver = self.solvers[key] = RunningSolver(key[0], key[1], labels, args, port, process)
        solver.supervisor = asyncio.create_task(self.restart_on_failure(key, solver))
        log.info("started solver %s/%s on port %d", key[0], key[1], port)

    async def restart_on_failure(self, key: tuple[str, str], solver: RunningSolver) -> None:
        """As a kubelet would: e.g. another process took the free port before the solver could bind it."""
        code = await solver.process.wait()
        if code != 0 and self.solvers.get(key) is solver:
            log.warning("solver %s/%s exited with %d; starting it again", key[0], key[1], code)
            await asyncio.sleep(0.5)
            if self.solvers.get(key) is solver:
                await self.spawn(key, solver.labels, solver.args)

    async def stop_solver(self, key: tuple[str, str]) -> None:
        solver = self.solvers.pop(key, None)
        if solver and solver.process.returncode is None:
            solver.process.terminate()
            await solver.process.wait()

    async def stop_all(self) -> None:
        for key in list(self.solvers):
            await self.stop_solver(key)

    async def route(self, request: web.Request) -> web.StreamResponse:
        """Host + path → Ingress → Service → solver process, as an ingress controller would."""
        host = (request.host or "").split(":")[0].lower()
        target = self.find_backend(host, request.path)
        if target is None:
            return web.Response(status=404, text="no route\n")
        async with self.proxy.get(
            f"http://127.0.0.1:{target.port}{request.path_qs}",
            headers={"Host": request.headers.get("Host", host)},
        ) as upstream:
            return web.Response(
                status=upstream.status, body=await upstream.read(), content_type=upstream.content_type
            )

    def find_backend(self, host: str, path: str) -> RunningSolver | None:
        for namespace, service_name in self.matching_services(host, path):
            service = self.services.get((namespace, service_name))
            if service is None:
                continue
            selector = service.spec.selector or {}
            for solver in self.solvers.values():
                if (
                    solver.namespace == namespace
                    and selector
                    and all(solver.labels.get(k) == v for k, v in selector.items())
                ):
                    return solver
        return None

    def matching_services(self, host: str, path: str) -> Iterator[tuple[str, str]]:
        """(namespace, Service name) of each Ingress or attached HTTPRoute that routes host + path."""
        for ingress in list(self.ingresses.values()):
            service_name = matching_service(ingress, host, path)
            if service_name is not None:
                yield ingress.metadata.namespace, service_name
        for route in list(self.httproutes.values()):
            namespace = route["metadata"]["namespace"]
            if not any(self.gateways.get(key) for key in parent_gateways(route)):
                continue  # attached to no Gateway that exists: a gateway controller would not serve it
            service_name = matching_route_service(route, host, path)
            if service_name is not None:
                yield namespace, service_name


def matching_service(ingress: Any, host: str, path: str) -> str | None:
    """The backend service name of the first rule of `ingress` that routes host + path."""
    for rule in ingress.spec.rules or []:
        # A rule without a host routes every host, as in real ingress controllers (IP identifiers).
        if (rule.host and rule.host.lower() != host) or rule.http is None:
            continue
        for entry in rule.http.paths:
            exact = entry.path_type == "Exact"
            if (exact and entry.path == path) or (not exact and path.startswith(entry.path or "/")):
                return str(entry.backend.service.name)
    return None


def parent_gateways(route: dict[str, Any]) -> list[tuple[str, str]]:
    """(namespace, name) of the Gateways among the route's parentRefs."""
    namespace = route["metadata"]["namespace"]
    return [
        (parent.get("namespace") or namespace, parent["name"])
        for parent in route["spec"].get("parentRefs") or []
        if parent.get("group", GATEWAY_GROUP) == GATEWAY_GROUP and parent.get("kind", "Gateway") == "Gateway"
    ]


def matching_route_service(route: dict[str, Any], host: str, path: str) -> str | None:
    """The first Service backend of an HTTPRoute rule that routes host + path (Exact or PathPrefix)."""
    hostnames = [name.lower() for name in route["spec"].get("hostnames") or []]
    if hostnames and host not in hostnames:
        return None
    for rule in route["spec"].get("rules") or []:
        for match in rule.get("matches") or [{}]:
            wanted = match.get("path") or {"type": "PathPrefix", "value": "/"}
            exact = wanted.get("type", "PathPrefix") == "Exact"
            value = wanted.get("value", "/")
            if (exact and value == path) or (not exact and path.startswith(value)):
                services = [b for b in rule.get("backendRefs") or [] if b.get("kind", "Service") == "Service"]
                if services:
                    return str(services[0]["name"])
    return None


def field_of(obj: Any, name: str) -> Any:
    """A field of a model (snake_case attribute) or of a dict the CustomObjectsApi sent (camelCase key)."""
    if isinstance(obj, dict):
        head, *rest = name.split("_")
        return obj.get(head + "".join(word.title() for word in rest))
    return getattr(obj, name)


def object_key(obj: Any) -> tuple[str, str]:
    metadata = field_of(obj, "metadata")
    return field_of(metadata, "namespace"), field_of(metadata, "name")


def solver_args(args: list[str], port: int) -> list[str]:
    """The Pod's own args with its listening address swapped for a free local port."""
    kept = [a for a in args if not a.startswith(("--port", "--bind"))]
    return [*kept, f"--port={port}", "--bind=127.0.0.1"]


async def serve(kubeconfig: str, listen_port: int, ready_file: str | None) -> None:
    configuration = client.Configuration()
    await config.load_kube_config(config_file=kubeconfig, client_configuration=configuration)
    async with client.ApiClient(configuration) as api, aiohttp.ClientSession() as proxy:
        host = SolverHost(api, proxy)
        networking, core = client.NetworkingV1Api(api), client.CoreV1Api(api)
        custom = client.CustomObjectsApi(api)

        def gateway_api(plural: str) -> Callable[..., Any]:
            return functools.partial(custom.list_cluster_custom_object, GATEWAY_GROUP, "v1", plural)

        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", host.route)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", listen_port).start()
        watchers = [
            asyncio.create_task(host.watch_pods()),
            asyncio.create_task(host.mirror(networking.list_ingress_for_all_namespaces, host.ingresses)),
            asyncio.create_task(host.mirror(core.list_service_for_all_namespaces, host.services)),
            asyncio.create_task(host.mirror(gateway_api("httproutes"), host.httproutes)),
            asyncio.create_task(host.mirror(gateway_api("gateways"), host.gateways)),
        ]
        if ready_file:
            with open(ready_file, "w") as handle:
                handle.write(str(os.getpid()))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        for watcher in watchers:
            watcher.cancel()
        await host.stop_all()
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--port", type=int, required=True, help="HTTP port Pebble validates against")
    parser.add_argument("--ready-file")
    options = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s solverhost %(levelname)s %(message)s")
    asyncio.run(serve(options.kubeconfig, options.port, options.ready_file))


if __name__ == "__main__":
    main()
