"""The metrics endpoint: an HTTP server of its own (cert-manager's port, 9402), in daemon threads."""

from __future__ import annotations

import logging
import socket
import socketserver
import threading
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .exposition import app

log = logging.getLogger(__name__)
DEFAULT_PORT = 9402


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a scrape in progress does not hold up the operator's exit


class _IPv6Server(_Server):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # one line per scrape is noise
        pass


_running: tuple[WSGIServer, threading.Thread] | None = None


def start_server(port: int, address: str = "0.0.0.0") -> int | None:
    """Serve /metrics on `port` (0: not at all); the port it listens on, or None when off.

    A port that cannot be had is logged, not raised: certificates matter more than their metrics (and
    a Prometheus scraping it sees the operator down)."""
    global _running
    if _running is None and port != 0:
        server_class = _IPv6Server if ":" in address else _Server
        try:
            server = make_server(address, port, app, server_class=server_class, handler_class=_QuietHandler)
        except OSError as exc:
            log.error("metrics not served", extra={"address": address, "port": port, "error": str(exc)})
            return None
        thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
        thread.start()
        _running = (server, thread)
        log.info("serving metrics", extra={"address": address, "port": server.server_port})
    return None if _running is None else _running[0].server_port


def stop_server() -> None:
    """Stop serving and free the port."""
    global _running
    if _running is None:
        return
    server, thread = _running
    _running = None
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
