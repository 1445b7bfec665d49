"""evercert: issue and renew TLS certificates from ACME CAs inside Kubernetes."""

from .kube import lazy

__version__ = "0.1.0"

# Before kopf or anything else imports kubernetes_asyncio (see kube/lazy.py: 26 MB less at rest).
lazy.install()
