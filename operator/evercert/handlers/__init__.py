"""kopf wiring only: importing this package registers every handler."""

from . import certificates, ingresses, issuers, secrets, startup, workloads

__all__ = ["certificates", "ingresses", "issuers", "secrets", "startup", "workloads"]
