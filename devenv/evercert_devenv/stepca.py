"""smallstep's step-ca on loopback: a second ACME CA, with neither ARI nor profiles.

Its root and intermediate are made here (the intermediate signs both the certificates it issues and its
own HTTPS certificate, so an Issuer's `caBundle` is the root). It validates HTTP-01 on `http01_port`
(`--insecure --acme-http-port`) and resolves names with `resolver` (the test bed's DNS server).
"""

from __future__ import annotations

import base64
import datetime
import json
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .binaries import binary
from .processes import Server, free_port, http_ok, wait_until

PROVISIONER = "acme"
_CA_LIFETIME = datetime.timedelta(days=30)


def _ca_certificate(
    common_name: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    issuer_name, signing_key = issuer or (subject, key)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + _CA_LIFETIME)
        .add_extension(
            x509.BasicConstraints(ca=True, path_length=None if issuer is None else 0), critical=True
        )
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()), critical=False
        )
        .sign(signing_key, hashes.SHA256())
    )


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


@dataclass
class StepCA:
    """step-ca with one ACME provisioner; `start()` writes its PKI and config and waits for it."""

    workdir: Path
    http01_port: int
    resolver: str  # host:port of the DNS server it asks
    default_duration: str = "24h"
    server: Server | None = field(default=None, init=False)
    port: int = field(default=0, init=False)

    @property
    def directory_url(self) -> str:
        return f"https://127.0.0.1:{self.port}/acme/{PROVISIONER}/directory"

    @property
    def root_path(self) -> Path:
        return self.workdir / "root_ca.crt"

    @property
    def root_pem(self) -> bytes:
        return self.root_path.read_bytes()

    @property
    def ca_bundle(self) -> str:
        """The root, base64 for an Issuer's `caBundle` (it signs step-ca's HTTPS certificate too)."""
        return base64.b64encode(self.root_pem).decode()

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self._write_pki()
        config = self.workdir / "ca.json"
        config.write_text(json.dumps(self._config(), indent=2))
        self.server = Server(
            "step-ca",
            [
                binary("step-ca"),
                str(config),
                f"--resolver={self.resolver}",
                "--insecure",
                f"--acme-http-port={self.http01_port}",
            ],
            self.workdir / "step-ca.log",
            env={"STEPPATH": str(self.workdir / "step")},
        )
        self.server.start()
        wait_until(lambda: http_ok(self.directory_url, self.tls_context()), self.server, 30)

    def _write_pki(self) -> None:
        root_key = ec.generate_private_key(ec.SECP256R1())
        root = _ca_certificate("evercert test step-ca root", root_key, None)
        intermediate_key = ec.generate_private_key(ec.SECP256R1())
        intermediate = _ca_certificate(
            "evercert test step-ca intermediate", intermediate_key, (root.subject, root_key)
        )
        self.root_path.write_bytes(_pem(root))
        (self.workdir / "intermediate_ca.crt").write_bytes(_pem(intermediate))
        (self.workdir / "intermediate_ca.key").write_bytes(_key_pem(intermediate_key))

    def _config(self) -> dict[str, object]:
        return {
            "root": str(self.root_path),
            "crt": str(self.workdir / "intermediate_ca.crt"),
            "key": str(self.workdir / "intermediate_ca.key"),
            "address": f"127.0.0.1:{self.port}",
            "dnsNames": ["127.0.0.1", "localhost"],
            "logger": {"format": "text"},
            "db": {"type": "badgerv2", "dataSource": str(self.workdir / "db")},
            "authority": {
                "provisioners": [
                    {
                        "type": "ACME",
                        "name": PROVISIONER,
                        "challenges": ["http-01", "dns-01"],
                        "claims": {
                            "minTLSCertDuration": "1m",
                            "maxTLSCertDuration": "2160h",
                            "defaultTLSCertDuration": self.default_duration,
                        },
                    }
                ]
            },
            "tls": {"minVersion": 1.2, "maxVersion": 1.3},
        }

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.root_path))

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
