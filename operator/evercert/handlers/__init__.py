"""kopf wiring only: importing this package registers every handler."""

from . import certificates, issuers, secrets, shims, startup, workloads

__all__ = ["certificates", "issuers", "secrets", "shims", "startup", "workloads"]
