"""The one Kubernetes client of the operator (kubernetes_asyncio): connect once, close at exit."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from kubernetes_asyncio import client, config
from kubernetes_asyncio.client.exceptions import ApiException
from kubernetes_asyncio.client.rest import RESTResponse

from ..core import constants
from .side_writes import SideWrites

MERGE_PATCH = "application/merge-patch+json"
# Enough for the API's few-millisecond answers; each idle TLS connection holds ~256 KB of buffers,
# and the library's default (100) fills up when a restart has a thousand Certificates look at once.
MAX_CONNECTIONS = 8
# The library sends requests with no timeout at all: one on a connection that went silent would wait
# forever (and so would its Certificate). Hence constants.API_TIMEOUT_SECONDS on every call.

Api = TypeVar("Api")


class _Timed:
    """An API group whose every call carries a request timeout (unless the call passes its own)."""

    def __init__(self, api: Any, timeout: float) -> None:
        self._api = api
        self._timeout = timeout

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._api, name)
        if not callable(method):
            return method
        return functools.partial(method, _request_timeout=self._timeout)


def with_timeout(api: Api, timeout: float) -> Api:
    return cast(Api, _Timed(api, timeout))


@dataclass
class Kube:
    """Typed API groups over one shared ApiClient."""

    api: client.ApiClient
    timeout: float = constants.API_TIMEOUT_SECONDS
    # A few writes from worker threads, on a loop and connection of their own (see side_writes.py).
    _side: SideWrites[Kube] | None = field(default=None, init=False, repr=False)

    @property
    def side(self) -> SideWrites[Kube]:
        if self._side is None:
            configuration, timeout = self.api.configuration, self.timeout

            async def connect() -> Kube:
                return Kube(client.ApiClient(configuration), timeout)

            self._side = SideWrites(connect, timeout)
        return self._side

    @classmethod
    async def connect(cls, timeout: float = constants.API_TIMEOUT_SECONDS) -> Kube:
        """From $KUBECONFIG (or ~/.kube/config) when present, else the Pod's ServiceAccount."""
        configuration = client.Configuration()
        if os.environ.get("KUBERNETES_SERVICE_HOST") and not os.environ.get("KUBECONFIG"):
            config.load_incluster_config(client_configuration=configuration)
        else:
            await config.load_kube_config(client_configuration=configuration, persist_config=False)
        configuration.connection_pool_maxsize = MAX_CONNECTIONS
        return cls(ignoring_environment(client.ApiClient(configuration)), timeout)

    async def close(self) -> None:
        if self._side is not None:
            await self._side.close()
        await self.api.close()

    @property
    def core(self) -> client.CoreV1Api:
        return with_timeout(client.CoreV1Api(self.api), self.timeout)

    @property
    def networking(self) -> client.NetworkingV1Api:
        return with_timeout(client.NetworkingV1Api(self.api), self.timeout)

    @property
    def apps(self) -> client.AppsV1Api:
        return with_timeout(client.AppsV1Api(self.api), self.timeout)

    @property
    def custom(self) -> client.CustomObjectsApi:
        return with_timeout(client.CustomObjectsApi(self.api), self.timeout)

    def to_dict(self, model: Any) -> dict[str, Any]:
        """A model as the plain dict the API would send (camelCase keys)."""
        return dict(self.api.sanitize_for_serialization(model))


def ignoring_environment(api: client.ApiClient) -> client.ApiClient:
    """No proxy or ~/.netrc lookup per request (the library turns them on; kopf's own client has them off).

    With them on, every request reads the environment and ~/.netrc in a thread: a third of the cost of
    a small request. A proxy for the API server still comes from the kubeconfig (`proxy-url`)."""
    api.rest_client.pool_manager._trust_env = False
    return api


async def answer(call: Awaitable[Any]) -> Any:
    """The JSON answer of a call made with `_preload_content=False`, as plain dicts and lists.

    The library would build a model of every field (parsing each timestamp) that the operator only turns
    back into a dict or drops; errors are raised as the library raises them."""
    response = await call
    try:
        data = await response.read()
    finally:
        response.release()
    if not 200 <= response.status <= 299:
        error = ApiException(http_resp=RESTResponse(response, data))
        error.body = data.decode("utf-8", errors="replace")
        raise error
    return json.loads(data) if data else None


async def read_secret(kube: Kube, namespace: str, name: str) -> dict[str, Any] | None:
    """The Secret as a dict, or None when it does not exist."""
    try:
        secret: dict[str, Any] = await answer(
            kube.core.read_namespaced_secret(name, namespace, _preload_content=False)
        )
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
    return secret


async def create_or_replace_secret(kube: Kube, namespace: str, body: Mapping[str, Any]) -> None:
    """Write the whole Secret in one request; a replace carries resourceVersion (optimistic lock)."""
    if body["metadata"].get("resourceVersion"):
        name = body["metadata"]["name"]
        await answer(kube.core.replace_namespaced_secret(name, namespace, body, _preload_content=False))
    else:
        await answer(kube.core.create_namespaced_secret(namespace, body, _preload_content=False))


async def patch_secret_metadata(kube: Kube, namespace: str, name: str, metadata: Mapping[str, Any]) -> None:
    """Merge-patch labels and annotations only: the data is not sent, so it cannot change."""
    body = {"metadata": dict(metadata)}
    await answer(
        kube.core.patch_namespaced_secret(
            name, namespace, body, _content_type=MERGE_PATCH, _preload_content=False
        )
    )


async def delete_secret(kube: Kube, namespace: str, name: str) -> None:
    try:
        await answer(kube.core.delete_namespaced_secret(name, namespace, _preload_content=False))
    except ApiException as exc:
        if exc.status != 404:
            raise


async def patch_certificate_status(kube: Kube, namespace: str, name: str, status: Mapping[str, Any]) -> None:
    """Merge-patch the status subresource (a None value removes a field)."""
    await _merge_patch_certificate(
        kube.custom.patch_namespaced_custom_object_status, namespace, name, {"status": dict(status)}
    )


async def _merge_patch_certificate(patch: Any, namespace: str, name: str, body: Mapping[str, Any]) -> None:
    await patch(
        constants.GROUP,
        constants.VERSION,
        namespace,
        constants.CERTIFICATES,
        name,
        body,
        _content_type=MERGE_PATCH,
    )


async def patch_issuer_status(
    kube: Kube, kind: str, namespace: str | None, name: str, status: Mapping[str, Any]
) -> None:
    body = {"status": dict(status)}
    if kind == "ClusterIssuer":
        await kube.custom.patch_cluster_custom_object_status(
            constants.GROUP,
            constants.VERSION,
            constants.CLUSTER_ISSUERS,
            name,
            body,
            _content_type=MERGE_PATCH,
        )
    else:
        await kube.custom.patch_namespaced_custom_object_status(
            constants.GROUP,
            constants.VERSION,
            namespace,
            constants.ISSUERS,
            name,
            body,
            _content_type=MERGE_PATCH,
        )


async def annotate_certificate(kube: Kube, namespace: str, name: str, annotations: Mapping[str, str]) -> None:
    body = {"metadata": {"annotations": dict(annotations)}}
    await _merge_patch_certificate(kube.custom.patch_namespaced_custom_object, namespace, name, body)
