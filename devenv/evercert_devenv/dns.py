"""BIND 9 (Debian's `bind9`) on loopback: authoritative for the DNS-01 test zones, taking RFC 2136
updates signed with TSIG, and forwarding every other name to pebble-challtestsrv (whose answers the
HTTP-01 tests rely on). Pebble asks it for DNS-01 validations."""

from __future__ import annotations

import base64
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .binaries import REPO
from .processes import Server, free_port, wait_until

ZONE = "dns01.test"
# CNAME targets for cnameStrategy Follow: `_acme-challenge.alias.dns01.test` points into this zone.
DELEGATED_ZONE = "challenges.test"
ALIAS = f"alias.{ZONE}"
# A zone BIND serves but takes no update for (the "server refuses the update" case).
READ_ONLY_ZONE = "readonly.test"
# A zone with a second nameserver that never answers (127.0.0.2): its values never propagate.
LAGGING_ZONE = "lagging.test"
SILENT_NAMESERVER = "127.0.0.2"
KEY_NAME = "evercert."
ALGORITHM = "HMACSHA256"
# Where the test bed's other authoritative servers listen (on BIND's port; see Bind.forwarded_zones).
FORWARDED_ADDRESS = "127.0.0.2"
# A key BIND knows but whose update-policy grants nothing.
READ_ONLY_KEY_NAME = "reader."


def install() -> None:
    """Install BIND and dig from Debian once per machine (hack/debs.sh serialises and skips)."""
    if shutil.which("named") and shutil.which("dig"):
        return
    subprocess.run(["bash", str(REPO / "hack" / "debs.sh"), "bind9", "dnsutils"], check=True)


def named() -> str:
    path = shutil.which("named") or "/usr/sbin/named"
    if not Path(path).exists():
        raise FileNotFoundError("BIND's named is missing: hack/debs.sh bind9 installs it")
    return path


@dataclass
class Bind:
    """A real authoritative DNS server; `forward_port` is where names outside its zones are asked."""

    workdir: Path
    forward_port: int
    port: int = 0
    tsig_secret: str = field(default_factory=lambda: base64.b64encode(secrets.token_bytes(32)).decode())
    read_only_secret: str = field(default_factory=lambda: base64.b64encode(secrets.token_bytes(32)).decode())
    server: Server | None = None
    # Zones another test server serves on FORWARDED_ADDRESS and this same port (so that the port the
    # propagation check asks fits both): BIND forwards queries for them there.
    forwarded_zones: tuple[str, ...] = ()

    @property
    def address(self) -> str:
        """host:port, as rfc2136's `nameserver` and Pebble's -dnsserver take it."""
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        install()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        zones = (
            (ZONE, _alias_record()),
            (DELEGATED_ZONE, ""),
            (READ_ONLY_ZONE, ""),
            (LAGGING_ZONE, f"@ IN NS ns.{LAGGING_ZONE}.\nns IN A {SILENT_NAMESERVER}"),
        )
        for zone, extra in zones:
            (self.workdir / f"{zone}.zone").write_text(_zone_file(zone, extra))
            (self.workdir / f"{zone}.zone.jnl").unlink(missing_ok=True)
        config = self.workdir / "named.conf"
        config.write_text(self._config())
        self.server = Server("named", [named(), "-g", "-c", str(config)], self.workdir / "named.log")
        self.server.start()
        wait_until(lambda: self._answers(ZONE), self.server, 30)

    def _config(self) -> str:
        workdir = self.workdir
        update_policy = f"update-policy {{ grant {KEY_NAME} subdomain %s TXT; }};"
        return f"""
options {{
    directory "{workdir}";
    pid-file "{workdir}/named.pid";
    session-keyfile "{workdir}/session.key";
    managed-keys-directory "{workdir}";
    listen-on port {self.port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    recursion yes;
    allow-recursion {{ 127.0.0.1; }};
    allow-query {{ 127.0.0.1; }};
    allow-transfer {{ 127.0.0.1; }};
    forward only;
    forwarders {{ 127.0.0.1 port {self.forward_port}; }};
    dnssec-validation no;
    max-cache-ttl 0;  // names outside the zones: always challtestsrv's answer of the moment
    max-ncache-ttl 0;
    notify no;
    minimal-responses no;
}};
controls {{ }};
key "{KEY_NAME}" {{ algorithm hmac-sha256; secret "{self.tsig_secret}"; }};
key "{READ_ONLY_KEY_NAME}" {{ algorithm hmac-sha256; secret "{self.read_only_secret}"; }};
zone "{ZONE}" {{ type primary; file "{workdir}/{ZONE}.zone"; {update_policy % (ZONE + ".")} }};
zone "{DELEGATED_ZONE}" {{
    type primary; file "{workdir}/{DELEGATED_ZONE}.zone"; {update_policy % (DELEGATED_ZONE + ".")}
}};
zone "{LAGGING_ZONE}" {{
    type primary; file "{workdir}/{LAGGING_ZONE}.zone"; {update_policy % (LAGGING_ZONE + ".")}
}};
zone "{READ_ONLY_ZONE}" {{
    type primary; file "{workdir}/{READ_ONLY_ZONE}.zone";
    update-policy {{ grant {READ_ONLY_KEY_NAME} name nothing.{READ_ONLY_ZONE}. TXT; }};
}};
""" + "".join(self._forward_zone(zone) for zone in self.forwarded_zones)

    def _forward_zone(self, zone: str) -> str:
        forwarders = f"forwarders {{ {FORWARDED_ADDRESS} port {self.port}; }};"
        return f'zone "{zone}" {{ type forward; forward only; {forwarders} }};\n'

    def _answers(self, name: str) -> bool:
        return bool(self.dig(name, "SOA"))

    def dig(self, name: str, rdtype: str = "TXT") -> list[str]:
        """What BIND itself serves for `name` (no recursion), one line per record, quotes removed."""
        result = subprocess.run(
            [
                "dig",
                "+short",
                "+norecurse",
                "+time=1",
                "+tries=1",
                "-p",
                str(self.port),
                "@127.0.0.1",
                name,
                rdtype,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            return []
        return [line.replace('"', "") for line in result.stdout.splitlines() if line.strip()]

    def txt_records(self, zone: str = ZONE) -> list[str]:
        """Every TXT record in `zone` (by zone transfer): what DNS-01 left behind is listed here."""
        result = subprocess.run(
            ["dig", "+noall", "+answer", "-p", str(self.port), "@127.0.0.1", zone, "AXFR"],
            capture_output=True,
            text=True,
            check=True,
        )
        return [line for line in result.stdout.splitlines() if "\tTXT\t" in line or " TXT " in line]

    def updates(self) -> int:
        """How many UPDATE messages BIND has taken so far: its log names each message's client (each
        comes over a TCP connection of its own) on every line about the zone changes it made."""
        log = self.workdir / "named.log"
        lines = log.read_text(errors="replace").splitlines() if log.exists() else []
        return len(
            {
                line.split(": updating zone")[0].split(" client ")[-1]
                for line in lines
                if ": updating zone" in line
            }
        )

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


def _zone_file(zone: str, extra: str) -> str:
    return f"""$TTL 60
@ IN SOA ns.{ZONE}. hostmaster.{ZONE}. 1 60 60 600 60
@ IN NS ns.{ZONE}.
{"ns IN A 127.0.0.1" if zone == ZONE else ""}
{extra}
"""


def _alias_record() -> str:
    return f"_acme-challenge.alias IN CNAME _acme-challenge.alias.{DELEGATED_ZONE}."
