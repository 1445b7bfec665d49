"""The programs that read a certificate Secret's files, run for real: HAProxy (tls-combined.pem, then a
TLS handshake with `openssl s_client`), the JDK's `keytool` (keystore.p12, keystore.jks) and `openssl`
(key.der). Their Debian packages are installed through hack/debs.sh (idempotent) on first use."""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("haproxy", "default-jre-headless", "openssl")
TIMEOUT = 60.0


def install_consumers() -> None:
    subprocess.run(["bash", str(REPO / "hack" / "debs.sh"), *PACKAGES], check=True, timeout=900)


def run(*args: str, stdin: bytes = b"") -> str:
    done = subprocess.run(args, input=stdin, capture_output=True, timeout=TIMEOUT, check=False)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({done.returncode}): {done.stdout!r} {done.stderr!r}")
    return done.stdout.decode(errors="replace") + done.stderr.decode(errors="replace")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def haproxy_config(combined_pem: Path, port: int) -> str:
    return f"""global
    maxconn 32
defaults
    mode http
    timeout connect 5s
    timeout client 10s
    timeout server 10s
frontend tls
    bind 127.0.0.1:{port} ssl crt {combined_pem}
    http-request return status 200 content-type text/plain string served-by-haproxy
"""


@contextlib.contextmanager
def haproxy_serving(combined_pem: Path, workdir: Path) -> Iterator[int]:
    """HAProxy checks its configuration (`haproxy -c`), then serves TLS with the file on a loopback port."""
    port = free_port()
    config = workdir / "haproxy.cfg"
    config.write_text(haproxy_config(combined_pem, port))
    run("haproxy", "-c", "-f", str(config))
    process = subprocess.Popen(
        ["haproxy", "-db", "-f", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        _wait_listening(port, process)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=TIMEOUT)


def _wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else b""
            raise AssertionError(f"haproxy exited with {process.returncode}: {output!r}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.05)  # polling a port that is coming up, bounded by the deadline
    raise AssertionError(f"haproxy did not listen on {port} within {TIMEOUT}s")


def tls_handshake(port: int, server_name: str, ca_file: Path) -> str:
    """`openssl s_client` against the port, verifying the chain to `ca_file`; returns its output."""
    return run(
        "openssl",
        "s_client",
        "-connect",
        f"127.0.0.1:{port}",
        "-servername",
        server_name,
        "-verify_hostname",
        server_name,
        "-CAfile",
        str(ca_file),
        "-verify_return_error",
        stdin=b"",
    )


@dataclass(frozen=True)
class KeystoreEntry:
    alias: str
    kind: str  # keytool's "Entry type": PrivateKeyEntry, trustedCertEntry
    chain_length: int


def keytool_list(store: Path, password: str, store_type: str) -> list[KeystoreEntry]:
    """`keytool -list -v`: every entry, opened with the password (a wrong one fails)."""
    out = run(
        "keytool", "-list", "-v", "-keystore", str(store), "-storepass", password, "-storetype", store_type
    )
    entries = []
    for block in out.split("Alias name: ")[1:]:
        alias = block.splitlines()[0].strip()
        kind = re.search(r"Entry type: (\w+)", block)
        chain = re.search(r"Certificate chain length: (\d+)", block)
        entries.append(
            KeystoreEntry(alias, kind.group(1) if kind else "", int(chain.group(1)) if chain else 1)
        )
    return entries


def keytool_opens_key(store: Path, password: str, store_type: str, workdir: Path) -> str:
    """Copy every entry into a new PKCS#12 store with keytool: decrypts each private key."""
    target = workdir / f"copy-of-{store.name}.p12"
    target.unlink(missing_ok=True)
    return run(
        "keytool",
        "-importkeystore",
        "-noprompt",
        "-srckeystore",
        str(store),
        "-srcstoretype",
        store_type,
        "-srcstorepass",
        password,
        "-destkeystore",
        str(target),
        "-deststoretype",
        "PKCS12",
        "-deststorepass",
        "copied-store",  # keytool wants six characters or more for a store it creates
    )


def openssl_public_key(path: Path, der: bool = False) -> str:
    """The public half of a key file, as `openssl pkey` reads it (DER or PEM)."""
    return run("openssl", "pkey", "-inform", "DER" if der else "PEM", "-in", str(path), "-pubout")


def openssl_certificate_public_key(cert_pem: Path) -> str:
    return run("openssl", "x509", "-in", str(cert_pem), "-noout", "-pubkey")
