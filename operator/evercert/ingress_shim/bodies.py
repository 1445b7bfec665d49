"""The Certificate objects the shim makes, updates and reads back, and which of their fields it owns."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .. import conditions
from ..core import constants
from ..kube.owners import controller_reference
from .model import INGRESS, DesiredCertificate, ExistingCertificate, OwnerRef, Source

# The Certificate annotations the shim owns; other annotations on a Certificate are left alone.
SHIM_ANNOTATIONS = (constants.ANNOTATION_HTTP01_INGRESS_CLASS,)
# The spec fields the shim sets; anything else on its Certificates (e.g. secretTemplate) is left alone.
MANAGED_FIELDS = ("secretName", "dnsNames", "issuerRef", "duration", "renewBefore", "privateKey")


def owner_reference(owner: OwnerRef, source: Source = INGRESS) -> dict[str, Any]:
    """The Ingress (Gateway) as controller, so that garbage collection deletes the Certificate with it.

    No blockOwnerDeletion: setting it needs `update` on ingresses/finalizers (gateways/finalizers),
    which evercert is not granted.
    """
    return controller_reference(
        source.api_version, source.kind, owner.name, owner.uid, block_owner_deletion=False
    )


def certificate_body(
    desired: DesiredCertificate, namespace: str, owner: OwnerRef, source: Source = INGRESS
) -> dict[str, Any]:
    """A new Certificate object for `desired`, controlled by `owner`."""
    metadata: dict[str, Any] = {
        "name": desired.name,
        "namespace": namespace,
        "ownerReferences": [owner_reference(owner, source)],
    }
    if desired.annotations:
        metadata["annotations"] = dict(desired.annotations)
    return {
        "apiVersion": constants.API_VERSION,
        "kind": "Certificate",
        "metadata": metadata,
        "spec": copy.deepcopy(dict(desired.spec)),
    }


def updated_certificate(
    current: Mapping[str, Any], desired: DesiredCertificate, owner: OwnerRef, source: Source = INGRESS
) -> dict[str, Any]:
    """`current` with the shim's fields as `desired` asks and `owner` as controller; the rest is kept."""
    body = copy.deepcopy(dict(current))
    metadata = body.setdefault("metadata", {})
    annotations = {k: v for k, v in (metadata.get("annotations") or {}).items() if k not in SHIM_ANNOTATIONS}
    metadata["annotations"] = {**annotations, **desired.annotations}
    others = [ref for ref in metadata.get("ownerReferences") or [] if not ref.get("controller")]
    metadata["ownerReferences"] = [*others, owner_reference(owner, source)]
    unmanaged = {k: v for k, v in (body.get("spec") or {}).items() if k not in MANAGED_FIELDS}
    body["spec"] = {**unmanaged, **copy.deepcopy(dict(desired.spec))}
    return body


def managed(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The managed fields, with issuerRef cut to name and kind (a defaulted group is no difference)."""
    view = {k: v for k, v in spec.items() if k in MANAGED_FIELDS}
    if isinstance(view.get("issuerRef"), Mapping):
        view["issuerRef"] = {k: view["issuerRef"].get(k) for k in ("name", "kind")}
    return view


def existing_certificate(body: Mapping[str, Any], source: Source = INGRESS) -> ExistingCertificate:
    """What the plan for `source` needs to know of a Certificate, read from its body."""
    metadata = body.get("metadata") or {}
    controller = next((ref for ref in metadata.get("ownerReferences") or [] if ref.get("controller")), {})
    from_source = controller.get("kind") == source.kind and controller.get("apiVersion") == source.api_version
    conflict = conditions.find((body.get("status") or {}).get("conditions"), source.conflict_condition)
    annotations = metadata.get("annotations") or {}
    return ExistingCertificate(
        name=metadata.get("name", ""),
        uid=metadata.get("uid", ""),
        owner_uid=controller.get("uid") if from_source else None,
        # Only a Certificate the shim made is compared with what is asked: others cost no copy of their spec.
        spec=copy.deepcopy(managed(body.get("spec") or {})) if from_source else {},
        annotations={k: annotations[k] for k in SHIM_ANNOTATIONS if k in annotations} if from_source else {},
        conflict=conflict.get("message") if conflict else None,
    )
