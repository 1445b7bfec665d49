"""The body of a copy: the source Secret's type and data, labelled with its source (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..api.certificate import CertificateSpec
from ..core import constants
from .plan import copy_of

# Carried over from the source: what the copy's readers (and evercert's looks at the copy) go by.
CARRIED_ANNOTATIONS = (
    constants.ANNOTATION_SERIAL,
    constants.ANNOTATION_DNS_NAMES,
    constants.ANNOTATION_IP_ADDRESSES,
    constants.ANNOTATION_COMMON_NAME,
    constants.ANNOTATION_ISSUER_NAME,
    constants.ANNOTATION_ISSUER_KIND,
    constants.ANNOTATION_OUTPUTS,
)


def copy_body(
    spec: CertificateSpec, source: Mapping[str, Any], namespace: str, resource_version: str | None
) -> dict[str, Any]:
    """The copy in `namespace`: no owner (owners cannot cross namespaces) and no certificate-name
    annotation (no Certificate writes it there); removed by evercert when the source goes."""
    given = (source.get("metadata") or {}).get("annotations") or {}
    annotations = {key: given[key] for key in CARRIED_ANNOTATIONS if key in given}
    annotations[constants.ANNOTATION_COPY_OF] = copy_of(spec)
    metadata: dict[str, Any] = {
        "name": spec.secret_name,
        "namespace": namespace,
        "labels": {
            **spec.secret_template.labels,
            constants.LABEL_MANAGED_BY: constants.MANAGED_BY,
            constants.LABEL_COPY_SOURCE_NAMESPACE: spec.namespace,
            constants.LABEL_COPY_SOURCE_UID: spec.uid,
        },
        "annotations": annotations,
    }
    if resource_version:
        metadata["resourceVersion"] = resource_version
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": source.get("type") or constants.TLS_SECRET_TYPE,
        "metadata": metadata,
        "data": dict(source.get("data") or {}),
    }
