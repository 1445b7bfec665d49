"""kopf wiring only: importing this package registers every handler."""

from . import event_only, readiness

event_only.install()
readiness.install()

from . import certificates, issuers, namespaces, secrets, shims, startup, workloads  # noqa: E402

__all__ = ["certificates", "issuers", "namespaces", "secrets", "shims", "startup", "workloads"]
