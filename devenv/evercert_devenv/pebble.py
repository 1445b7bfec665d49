"""Let's Encrypt's Pebble and pebble-challtestsrv on loopback: an ACME CA whose DNS says 127.0.0.1."""

from __future__ import annotations

import json
import ssl
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from .binaries import binary
from .certs import LocalCA
from .processes import Server, free_port, http_ok, wait_until
from .watchdog import answers, shared

DAY = 86400


@dataclass
class Pebble:
    """A real ACME server. `http01_port` is where it connects to validate HTTP-01 challenges."""

    workdir: Path
    ca: LocalCA = field(default_factory=LocalCA)
    http01_port: int = 0
    validity_seconds: int = 90 * DAY
    # Pebble's "shortlived" profile: short enough that renewal can be watched in a test.
    shortlived_seconds: int = 30
    nonce_reject_percent: int = 0
    # Seconds Pebble asks clients to wait between polls (0: no Retry-After header).
    retry_after_seconds: int = 0
    # External account binding: key ID -> base64url HMAC key; when required, accounts need one.
    eab_mac_keys: dict[str, str] = field(default_factory=dict)
    eab_required: bool = False
    extra_env: dict[str, str] = field(default_factory=dict)
    # Where pebble-challtestsrv answers DNS (0: a free port), and the DNS server Pebble asks instead
    # ("host:port"; empty: pebble-challtestsrv): the test bed's BIND, which forwards to challtestsrv.
    dns_port: int = 0
    dns_server: str = ""
    servers: list[Server] = field(default_factory=list)

    @property
    def directory_url(self) -> str:
        return f"https://127.0.0.1:{self.port}/dir"

    @property
    def ca_bundle_path(self) -> Path:
        """PEM of the CA that signed Pebble's own HTTPS certificate (not the ACME issuing root)."""
        return self.workdir / "pebble-tls-ca.pem"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port, self.management_port = free_port(), free_port()
        self.dns_port, self.challtestsrv_port = self.dns_port or free_port(), free_port()
        self.http01_port = self.http01_port or free_port()
        self._start_challtestsrv()
        self._start_pebble()

    def _start_challtestsrv(self) -> None:
        server = Server(
            "pebble-challtestsrv",
            [
                binary("pebble-challtestsrv"),
                "-defaultIPv4",
                "127.0.0.1",
                "-defaultIPv6",
                "",
                "-dnsserver",
                f"127.0.0.1:{self.dns_port}",
                "-management",
                f"127.0.0.1:{self.challtestsrv_port}",
                "-http01",
                "",
                "-https01",
                "",
                "-tlsalpn01",
                "",
                "-doh",
                "",
            ],
            self.workdir / "challtestsrv.log",
        )
        server.start()
        self.servers.append(server)
        wait_until(
            lambda: _post_ok(
                f"http://127.0.0.1:{self.challtestsrv_port}/clear-request-history",
                {"host": "x", "type": "http"},
            ),
            server,
            20,
        )
        shared().watch(server, "GET /", lambda: answers(f"http://127.0.0.1:{self.challtestsrv_port}/"))

    def _start_pebble(self) -> None:
        self.ca_bundle_path.write_bytes(self.ca.cert_pem)
        tls = self.ca.issue("pebble", hosts=("127.0.0.1", "localhost"), server=True)
        (self.workdir / "pebble.crt").write_bytes(tls.cert_pem)
        (self.workdir / "pebble.key").write_bytes(tls.key_pem)
        config = self.workdir / "pebble-config.json"
        config.write_text(json.dumps({"pebble": self._config()}, indent=2))
        env = {
            "PEBBLE_VA_NOSLEEP": "1",
            "PEBBLE_WFE_NONCEREJECT": str(self.nonce_reject_percent),
            "PEBBLE_AUTHZREUSE": "0",
            **self.extra_env,
        }
        server = Server(
            "pebble",
            [
                binary("pebble"),
                "-config",
                str(config),
                "-dnsserver",
                self.dns_server or f"127.0.0.1:{self.dns_port}",
            ],
            self.workdir / "pebble.log",
            env=env,
        )
        server.start()
        self.servers.append(server)
        wait_until(lambda: http_ok(self.directory_url, self.tls_context()), server, 30)
        # A question that takes the store's read lock, as new orders and authorizations do (Pebble
        # 2.10.3 can deadlock there under load): 404 for an unknown serial when all is well.
        status_url = f"https://127.0.0.1:{self.management_port}/cert-status-by-serial/1"
        context = self.tls_context()
        shared().watch(server, "GET /cert-status-by-serial/1", lambda: answers(status_url, context=context))

    def _config(self) -> dict[str, object]:
        return {
            "listenAddress": f"127.0.0.1:{self.port}",
            "managementListenAddress": f"127.0.0.1:{self.management_port}",
            "certificate": str(self.workdir / "pebble.crt"),
            "privateKey": str(self.workdir / "pebble.key"),
            "httpPort": self.http01_port,
            "tlsPort": free_port(),
            "ocspResponderURL": "",
            "externalAccountBindingRequired": self.eab_required,
            "externalAccountMACKeys": self.eab_mac_keys,
            "domainBlocklist": ["blocked-domain.example"],
            "retryAfter": {"authz": self.retry_after_seconds, "order": self.retry_after_seconds},
            "keyAlgorithm": "ecdsa",
            "profiles": {
                "default": {"description": "the default profile", "validityPeriod": self.validity_seconds},
                "shortlived": {
                    "description": "a short-lived profile",
                    "validityPeriod": self.shortlived_seconds,
                },
            },
        }

    def resolve(self, name: str, address: str) -> None:
        """Make Pebble's DNS answer `address` for `name`, instead of 127.0.0.1 as for every other name."""
        url = f"http://127.0.0.1:{self.challtestsrv_port}/add-a"
        if not _post_ok(url, {"host": name, "addresses": [address]}):
            raise RuntimeError(f"pebble-challtestsrv refused an A record for {name}")

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_bundle_path))

    def root_pem(self) -> bytes:
        """The ACME issuing root: chains Pebble hands out verify against this."""
        url = f"https://127.0.0.1:{self.management_port}/roots/0"
        with urllib.request.urlopen(url, context=self.tls_context(), timeout=10) as response:
            return bytes(response.read())

    def restart(self) -> None:
        """Stop Pebble and start it again on the same ports: it keeps no state, so every account,
        order and root it had is gone (as when a CA's database is reset)."""
        pebble = next(server for server in self.servers if server.name == "pebble")
        pebble.stop()
        self.servers.remove(pebble)
        self._start_pebble()

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()
        self.servers.clear()


def _post_ok(url: str, body: dict[str, object]) -> bool:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False
