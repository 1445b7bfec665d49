"""evercert: issue and renew TLS certificates from ACME CAs inside Kubernetes."""

__version__ = "0.1.0"
