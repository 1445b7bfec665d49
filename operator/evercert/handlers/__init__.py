"""kopf wiring only: importing this package registers every handler."""

from . import certificates, issuers, secrets, startup

__all__ = ["certificates", "issuers", "secrets", "startup"]
