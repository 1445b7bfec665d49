"""A TCP proxy whose open connections can be made to go silent: bytes still accepted, none passed on,
nothing closed (as after a dead NAT entry or a peer that vanished without a FIN)."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field


@dataclass
class _Link:
    client: socket.socket
    upstream: socket.socket
    silent: bool = False


@dataclass
class BlackholeProxy:
    upstream_port: int
    links: list[_Link] = field(default_factory=list)
    swallowed: int = 0  # bytes sent into silent connections

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def silence_open_connections(self) -> int:
        """Every connection open now goes silent; new ones pass normally. Returns how many went silent."""
        with self._lock:
            for link in self.links:
                link.silent = True
            return len(self.links)

    def stop(self) -> None:
        self._stopped.set()
        self._listener.close()
        with self._lock:
            for link in self.links:
                for sock in (link.client, link.upstream):
                    sock.close()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            link = _Link(client, upstream)
            with self._lock:
                self.links.append(link)
            threading.Thread(target=self._pump, args=(link, client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(link, upstream, client), daemon=True).start()

    def _pump(self, link: _Link, source: socket.socket, target: socket.socket) -> None:
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                return
            if link.silent:
                with self._lock:
                    self.swallowed += len(data)
                if not data:
                    return  # a close that never arrives at the other end
                continue
            try:
                if not data:
                    target.shutdown(socket.SHUT_WR)
                    return
                target.sendall(data)
            except OSError:
                return
