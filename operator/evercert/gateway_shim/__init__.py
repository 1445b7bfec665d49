"""The gateway-shim: annotated Gateways → Certificates, one per Secret their HTTPS/TLS listeners name.

Only what a Gateway asks for is its own (listeners); the plan, the writes and the sync are the
ingress-shim's, for the Gateway kind (`GATEWAY`)."""

from .listeners import GATEWAY, gateway_request

__all__ = ["GATEWAY", "gateway_request"]
