"""PowerDNS Authoritative (Debian's `pdns-server`, SQLite backend) on loopback, with its HTTP API on.

Authoritative for `ZONE`; the cert-manager DNS webhook of the test bed (`webhook.py`) writes TXT records
through the HTTP API, and tests read them back over DNS.
"""

from __future__ import annotations

import json
import secrets
import shutil
import sqlite3
import subprocess
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from .binaries import REPO
from .processes import Server, free_port, wait_until

ZONE = "pdns.test."
PACKAGES = ("pdns-server", "pdns-backend-sqlite3")
PDNS_SERVER = "/usr/sbin/pdns_server"
SCHEMA = Path("/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql")


def ensure_installed() -> None:
    """Install the Debian packages through the project's own script (once per machine)."""
    if Path(PDNS_SERVER).exists() and SCHEMA.exists():
        return
    subprocess.run(["bash", str(REPO / "hack" / "debs.sh"), *PACKAGES], check=True)


@dataclass
class PowerDns:
    workdir: Path
    zone: str = ZONE
    api_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    address: str = "127.0.0.1"  # where it answers DNS (a free port is taken unless dns_port is given)
    dns_port: int = 0
    api_port: int = 0
    server: Server | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def dns_address(self) -> tuple[str, int]:
        return self.address, self.dns_port

    def start(self) -> None:
        ensure_installed()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.dns_port, self.api_port = self.dns_port or free_port(), free_port()
        database = self.workdir / "pdns.sqlite3"
        database.unlink(missing_ok=True)
        with sqlite3.connect(database) as db:
            db.executescript(SCHEMA.read_text())
        (self.workdir / "pdns.conf").write_text("")
        self.server = Server(
            "pdns",
            [
                shutil.which("pdns_server") or PDNS_SERVER,
                f"--config-dir={self.workdir}",
                f"--socket-dir={self.workdir}",
                "--daemon=no",
                "--guardian=no",
                "--disable-syslog",
                "--write-pid=no",
                "--launch=gsqlite3",
                f"--gsqlite3-database={database}",
                f"--local-address={self.address}",
                f"--local-port={self.dns_port}",
                "--api=yes",
                f"--api-key={self.api_key}",
                "--webserver=yes",
                "--webserver-address=127.0.0.1",
                f"--webserver-port={self.api_port}",
                "--webserver-allow-from=127.0.0.0/8",
                "--loglevel=4",
                "--security-poll-suffix=",  # no security-status query to the internet
            ],
            self.workdir / "pdns.log",
        )
        self.server.start()
        wait_until(self._answers, self.server, 30)
        nameserver = f"ns1.{self.zone}"
        zone = {"name": self.zone, "kind": "Native", "nameservers": [nameserver]}
        self.api("POST", "/api/v1/servers/localhost/zones", zone)
        self.api(
            "PATCH", f"/api/v1/servers/localhost/zones/{self.zone}", {"rrsets": self._records(nameserver)}
        )

    def _records(self, nameserver: str) -> list[dict[str, object]]:
        """The nameserver's address, and an SOA whose negative TTL is 0: a resolver in front (BIND) must
        not remember that a challenge record did not exist a moment before it was added."""
        soa = f"{nameserver} hostmaster.{self.zone} 1 60 60 600 0"
        return [
            {
                "name": nameserver,
                "type": "A",
                "ttl": 60,
                "changetype": "REPLACE",
                "records": [self._record(self.address)],
            },
            {
                "name": self.zone,
                "type": "SOA",
                "ttl": 0,
                "changetype": "REPLACE",
                "records": [self._record(soa)],
            },
        ]

    @staticmethod
    def _record(content: str) -> dict[str, object]:
        return {"content": content, "disabled": False}

    def _answers(self) -> bool:
        try:
            self.api("GET", "/api/v1/servers/localhost")
        except OSError:
            return False
        return True

    def api(self, method: str, path: str, body: object = None) -> object:
        """One call of PowerDNS's HTTP API with its key; the JSON answer (None when empty)."""
        request = urllib.request.Request(
            f"{self.api_url}{path}",
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={"X-API-Key": self.api_key, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            data = response.read()
        return json.loads(data) if data else None

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
