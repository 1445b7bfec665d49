"""The gateway-shim: annotated Gateways and ListenerSets → Certificates, one per Secret their HTTPS/TLS
listeners name.

Only what they ask for is their own (listeners); the plan, the writes and the sync are the
ingress-shim's, for the Gateway kind (`GATEWAY`) and the ListenerSet kind (`LISTENER_SET`)."""

from .listeners import GATEWAY, LISTENER_SET, gateway_request, listener_set_request

__all__ = ["GATEWAY", "LISTENER_SET", "gateway_request", "listener_set_request"]
