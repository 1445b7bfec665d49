"""Reload on renewal, pure: which tls Secrets a workload follows, and the one Pod-template patch that
restarts it when one of them holds a certificate its Pods have not read.

The serials the Pods were started with live on the Pod template itself (an annotation), so the decision
needs no memory of its own and survives restarts: a template that shows the current serials is left
alone. A template without them counts as current when the workload was created after the certificate
was written, since its Pods can only have read that one.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..core import constants
from ..pki import CertificateInfo, certificate_info, parse_pem_chain

AUTO = "auto"
KINDS = {"deployments": "Deployment", "statefulsets": "StatefulSet", "daemonsets": "DaemonSet"}
CERTIFICATE_FIELD = constants.TLS_CERT


@dataclass(frozen=True, slots=True)
class IssuedCertificate:
    """What one of evercert's tls Secrets holds: its certificate's serial, and when it was written there."""

    secret: str
    serial: str
    issued_at: datetime


@dataclass(frozen=True)
class Workload:
    """An annotated Deployment, StatefulSet or DaemonSet, as much of it as the decision needs."""

    plural: str  # deployments, statefulsets or daemonsets
    namespace: str
    name: str
    uid: str
    resource_version: str
    created: datetime | None
    auto: bool  # follow every evercert Secret the Pod template refers to
    names: tuple[str, ...]  # else: the Secrets named in the annotation
    referenced: frozenset[str]  # the Secrets the Pod template mounts or reads into env
    recorded: Mapping[str, str]  # Secret -> serial, from the Pod template's annotation

    @property
    def kind(self) -> str:
        return KINDS[self.plural]

    def event_target(self) -> dict[str, Any]:
        """What kopf.event needs to post an Event about this workload."""
        return {
            "apiVersion": "apps/v1",
            "kind": self.kind,
            "metadata": {"name": self.name, "namespace": self.namespace, "uid": self.uid},
        }


@dataclass(frozen=True)
class Reload:
    """Restart `workload` by writing `serials` onto its Pod template; `renewed` says which Secrets asked."""

    workload: Workload
    serials: str
    renewed: tuple[str, ...]

    def patch(self) -> dict[str, Any]:
        """The merge patch, refused by the API (409) when the workload changed since it was read."""
        annotations = {constants.ANNOTATION_CERTIFICATE_SERIALS: self.serials}
        return {
            "metadata": {"uid": self.workload.uid, "resourceVersion": self.workload.resource_version},
            "spec": {"template": {"metadata": {"annotations": annotations}}},
        }


def parse_selection(value: str) -> tuple[bool, tuple[str, ...]]:
    """The annotation's value as (auto, Secret names): "auto", or names separated by commas."""
    if value.strip().lower() == AUTO:
        return True, ()
    names = (name.strip() for name in value.split(","))
    return False, tuple(sorted({name for name in names if name}))


def parse_serials(value: str | None) -> dict[str, str]:
    """The template annotation `secret=serial,...`; entries that are not of that shape are skipped."""
    pairs = (entry.partition("=") for entry in (value or "").split(","))
    stripped = ((name.strip(), sep, serial.strip()) for name, sep, serial in pairs)
    return {name: serial for name, sep, serial in stripped if name and sep and serial}


def format_serials(serials: Mapping[str, str]) -> str:
    return ",".join(f"{name}={serials[name]}" for name in sorted(serials))


def referenced_secrets(template: Mapping[str, Any]) -> frozenset[str]:
    """Secrets a Pod template mounts (secret and projected volumes) or reads into env (env, envFrom)."""
    spec = template.get("spec") or {}
    return frozenset(name for name in _secret_references(spec) if name)


def _secret_references(spec: Mapping[str, Any]) -> Iterator[str]:
    for volume in spec.get("volumes") or []:
        yield (volume.get("secret") or {}).get("secretName", "")
        for source in (volume.get("projected") or {}).get("sources") or []:
            yield (source.get("secret") or {}).get("name", "")
    for container in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        for env in container.get("env") or []:
            yield ((env.get("valueFrom") or {}).get("secretKeyRef") or {}).get("name", "")
        for source in container.get("envFrom") or []:
            yield (source.get("secretRef") or {}).get("name", "")


def workload(plural: str, body: Mapping[str, Any]) -> Workload | None:
    """The workload when it asks to be reloaded; None without the annotation or while it is deleted."""
    metadata = body.get("metadata") or {}
    value = (metadata.get("annotations") or {}).get(constants.ANNOTATION_RELOAD_ON_RENEWAL)
    if value is None or metadata.get("deletionTimestamp"):
        return None
    template = (body.get("spec") or {}).get("template") or {}
    template_annotations = (template.get("metadata") or {}).get("annotations") or {}
    auto, names = parse_selection(value)
    return Workload(
        plural=plural,
        namespace=metadata["namespace"],
        name=metadata["name"],
        uid=metadata.get("uid", ""),
        resource_version=metadata.get("resourceVersion", ""),
        created=parse_time(metadata.get("creationTimestamp")),
        auto=auto,
        names=names,
        referenced=referenced_secrets(template),
        recorded=parse_serials(template_annotations.get(constants.ANNOTATION_CERTIFICATE_SERIALS)),
    )


def issued_certificate(secret: Mapping[str, Any]) -> IssuedCertificate | None:
    """The Secret's certificate, or None when it holds none that parses (a next-key Secret, say)."""
    try:
        pem = base64.b64decode((secret.get("data") or {}).get(CERTIFICATE_FIELD) or "")
        info = certificate_info(parse_pem_chain(pem)[0])
    except (ValueError, binascii.Error):
        return None
    return issued_from(secret.get("metadata") or {}, info)


def issued_from(metadata: Mapping[str, Any], info: CertificateInfo | None) -> IssuedCertificate | None:
    """The Secret's certificate from its parsed facts (None: it holds none).

    Written at: the last write of tls.crt (the API's managedFields), as the CA may backdate notBefore."""
    if info is None:
        return None
    written = _certificate_written(metadata.get("managedFields") or [])
    return IssuedCertificate(metadata["name"], info.serial_hex, max([info.not_before, *written]))


def _certificate_written(entries: Iterable[Mapping[str, Any]]) -> Iterator[datetime]:
    for entry in entries:
        data = (entry.get("fieldsV1") or {}).get("f:data") or {}
        written = parse_time(entry.get("time"))
        if f"f:{CERTIFICATE_FIELD}" in data and written is not None:
            yield written


def followed(workload: Workload, certificates: Mapping[str, IssuedCertificate]) -> tuple[str, ...]:
    """The Secrets this workload follows that hold an evercert certificate now, sorted."""
    wanted = workload.referenced if workload.auto else workload.names
    return tuple(sorted(name for name in wanted if name in certificates))


def read_by_pods(workload: Workload, certificate: IssuedCertificate) -> bool:
    """True when the workload's Pods were started with this certificate (as far as the API can tell)."""
    recorded = workload.recorded.get(certificate.secret)
    if recorded is not None:
        return recorded == certificate.serial
    # Never recorded: Pods of a workload made after the certificate was written can only hold that one.
    # Timestamps have whole seconds, so the same second counts as older: a needless restart at worst.
    return workload.created is not None and workload.created > certificate.issued_at


def plan(workload: Workload, certificates: Mapping[str, IssuedCertificate]) -> Reload | None:
    """The patch that restarts the workload, or None when its Pods hold every current certificate."""
    names = followed(workload, certificates)
    renewed = tuple(name for name in names if not read_by_pods(workload, certificates[name]))
    if not renewed:
        return None
    serials = format_serials({name: certificates[name].serial for name in names})
    return Reload(workload, serials, renewed)


def parse_time(value: str | None) -> datetime | None:
    """An API timestamp (RFC 3339, `Z` for UTC) as an aware datetime; None when absent or malformed."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None
