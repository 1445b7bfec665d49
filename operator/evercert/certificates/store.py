"""What the watch keeps of each Certificate: a trimmed body (no managedFields or kopf's own
annotations; labels for solver selectors), and what its last look saw, so that only a change of spec or
a renew request (not the look's own status writes) asks for another look. The shims read a namespace's
Certificates here too."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from ..core import constants
from ..kube.priming import Priming
from .status import pending_renew_request

Key = tuple[str, str]


def trimmed(body: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a Certificate the lifecycle and the shims read: name, uid, generation, evercert's
    annotations, labels (solver selectors match them), the controller reference, spec and status."""
    meta = body.get("metadata") or {}
    ours = f"{constants.GROUP}/"
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k.startswith(ours)}
    controller = [ref for ref in meta.get("ownerReferences") or [] if ref.get("controller")]
    return {
        "apiVersion": body.get("apiVersion", constants.API_VERSION),
        "kind": body.get("kind", constants.CERTIFICATE_KIND),
        "metadata": {
            "name": meta.get("name"),
            "namespace": meta.get("namespace"),
            "uid": meta.get("uid"),
            "generation": meta.get("generation"),
            "creationTimestamp": meta.get("creationTimestamp"),  # first come, first served for orders
            "annotations": annotations,
            **({"labels": dict(meta["labels"])} if meta.get("labels") else {}),
            **({"ownerReferences": controller} if controller else {}),
        },
        "spec": dict(body.get("spec") or {}),
        "status": dict(body.get("status") or {}),
    }


def looked_at(body: Mapping[str, Any]) -> tuple[int | None, str | None]:
    """What a look acts on besides the Secret and the issuer: the spec's generation and a renew request."""
    return (body.get("metadata") or {}).get("generation"), pending_renew_request(body)


class CertificateStore:
    def __init__(self) -> None:
        # Kept as compact JSON: a third of the memory of the dicts (~1 KB a Certificate), and every
        # reader gets a copy of its own.
        self._bodies: dict[Key, bytes] = {}
        self._seen: dict[Key, tuple[int | None, str | None]] = {}
        self._names: dict[str, set[str]] = {}  # namespace → names
        # Complete once every Certificate listed at start has come through the watch.
        self.priming = Priming("Certificates")

    def observe(self, body: Mapping[str, Any]) -> bool:
        """Keep the body; True when the Certificate should be looked at (new, or changed since its look)."""
        meta = body.get("metadata") or {}
        key = (meta["namespace"], meta["name"])
        kept = trimmed(body)
        self._bodies[key] = json.dumps(kept, separators=(",", ":")).encode()
        self._names.setdefault(key[0], set()).add(key[1])
        self.priming.delivered(key)
        return self._seen.get(key) != looked_at(kept)

    def get(self, key: Key) -> dict[str, Any] | None:
        packed = self._bodies.get(key)
        return json.loads(packed) if packed is not None else None

    def looking(self, key: Key) -> dict[str, Any] | None:
        """The body to look at, remembered as seen."""
        body = self.get(key)
        if body is not None:
            self._seen[key] = looked_at(body)
        return body

    def in_namespace(self, namespace: str) -> list[dict[str, Any]]:
        return [json.loads(self._bodies[(namespace, name)]) for name in self._names.get(namespace, ())]

    def forget(self, key: Key) -> None:
        self._bodies.pop(key, None)
        self._seen.pop(key, None)
        names = self._names.get(key[0])
        if names is not None:
            names.discard(key[1])
            if not names:
                del self._names[key[0]]
        self.priming.delivered(key)

    def __iter__(self) -> Iterator[Key]:
        return iter(list(self._bodies))

    def __len__(self) -> int:
        return len(self._bodies)
