"""The Certificate as controller of what it makes: next-key Secret, solver objects, maybe the tls Secret."""

from __future__ import annotations

from typing import Any

from ..api.certificate import CertificateSpec
from ..core import constants
from ..kube.owners import controller_reference


def certificate_owner(spec: CertificateSpec) -> dict[str, Any]:
    return controller_reference(constants.API_VERSION, constants.CERTIFICATE_KIND, spec.name, spec.uid)
