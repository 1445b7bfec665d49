"""The fallback when the test bed cannot run Traefik: the solver host routes HTTP-01 itself.

It serves HTTP on the port Pebble validates against and routes Host + path through the Ingresses (or
the Gateway API HTTPRoutes attached to an existing Gateway) and Services to the right solver process,
as an ingress or gateway controller would; the solver processes listen on loopback ports.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp
from aiohttp import web
from kubernetes_asyncio import client, watch

log = logging.getLogger("evercert_devenv.solverrouting")

GATEWAY_GROUP = "gateway.networking.k8s.io"


class Backend(Protocol):
    """A running solver as the router sees it."""

    namespace: str
    labels: dict[str, str]
    address: str
    port: int


@dataclass
class Router:
    api: client.ApiClient
    proxy: aiohttp.ClientSession
    backends: Mapping[tuple[str, str], Backend]
    # Every Ingress and Service, kept current by watches as an ingress controller's informers do:
    # routing a request must not cost API calls (a hundred self-checks at once would starve the host).
    ingresses: dict[tuple[str, str], Any] = field(default_factory=dict)
    services: dict[tuple[str, str], Any] = field(default_factory=dict)
    # Gateway API objects come from the CustomObjectsApi: plain dicts, as the API sends them.
    httproutes: dict[tuple[str, str], Any] = field(default_factory=dict)
    gateways: dict[tuple[str, str], Any] = field(default_factory=dict)

    def watchers(self) -> list[asyncio.Task[None]]:
        """The watches that keep the stores current."""
        networking, core = client.NetworkingV1Api(self.api), client.CoreV1Api(self.api)
        custom = client.CustomObjectsApi(self.api)

        def gateway_api(plural: str) -> Callable[..., Any]:
            return functools.partial(custom.list_cluster_custom_object, GATEWAY_GROUP, "v1", plural)

        return [
            asyncio.create_task(self.mirror(networking.list_ingress_for_all_namespaces, self.ingresses)),
            asyncio.create_task(self.mirror(core.list_service_for_all_namespaces, self.services)),
            asyncio.create_task(self.mirror(gateway_api("httproutes"), self.httproutes)),
            asyncio.create_task(self.mirror(gateway_api("gateways"), self.gateways)),
        ]

    async def listen(self, port: int) -> web.AppRunner:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self.route)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        return runner

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

    async def route(self, request: web.Request) -> web.StreamResponse:
        """Host + path → Ingress → Service → solver process, as an ingress controller would."""
        host = (request.host or "").split(":")[0].lower()
        target = self.find_backend(host, request.path)
        if target is None:
            return web.Response(status=404, text="no route\n")
        async with self.proxy.get(
            f"http://{target.address}:{target.port}{request.path_qs}",
            headers={"Host": request.headers.get("Host", host)},
        ) as upstream:
            return web.Response(
                status=upstream.status, body=await upstream.read(), content_type=upstream.content_type
            )

    def find_backend(self, host: str, path: str) -> Backend | None:
        for namespace, service_name in self.matching_services(host, path):
            service = self.services.get((namespace, service_name))
            if service is None:
                continue
            selector = service.spec.selector or {}
            for solver in self.backends.values():
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
