"""`formats_write_ms`: the extra CPU one issuance spends on its outputs, CombinedPEM + DER + PKCS#12
(Modern2023) + JKS, over tls.crt/tls.key alone: the median over ROUNDS builds of the whole Secret body
(`build_tls_secret`, what the issuance writes), each timed with `time.process_time`, minus the median
of the same build without outputs. An RSA 2048 key and a chain of leaf + intermediate + root (so the
truststores are written too). No cluster: run as a script, or through `make bench`'s report.
"""

from __future__ import annotations

import datetime
import statistics
import time
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from evercert.api.certificate import parse_certificate
from evercert.certificates.outputs import Passwords
from evercert.certificates.tls_secret import build_tls_secret
from evercert.pki import generate_private_key, private_key_to_pem

ROUNDS = 30
OUTPUTS = {
    "additionalOutputFormats": [{"type": "CombinedPEM"}, {"type": "DER"}],
    "keystores": {
        "pkcs12": {"create": True, "password": "bench-password", "profile": "Modern2023"},
        "jks": {"create": True, "password": "bench-password"},
    },
}


def _certificate(name: str, key: Any, issuer_name: str, signer: Any, ca: bool) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=90))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(signer, hashes.SHA256())
    )


def _median_ms(spec: Any, chain_pem: bytes, key_pem: bytes, passwords: Passwords) -> float:
    times = []
    for _ in range(ROUNDS):
        began = time.process_time()
        build_tls_secret(
            spec,
            issuer_name="bench",
            issuer_kind="ClusterIssuer",
            chain_pem=chain_pem,
            key_pem=key_pem,
            existing=None,
            owner_reference=None,
            passwords=passwords,
        )
        times.append(time.process_time() - began)
    return statistics.median(times) * 1000


def figures() -> dict[str, float]:
    root_key, intermediate_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    key = generate_private_key("RSA", 2048)
    root = _certificate("bench root", root_key, "bench root", root_key, True)
    intermediate = _certificate("bench intermediate", intermediate_key, "bench root", root_key, True)
    leaf = _certificate("www.example.org", key, "bench intermediate", intermediate_key, False)
    chain_pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (leaf, intermediate, root))
    key_pem = private_key_to_pem(key)

    def spec(**fields: Any) -> Any:
        body = {
            "metadata": {"name": "bench", "namespace": "bench"},
            "spec": {"secretName": "bench-tls", "dnsNames": ["www.example.org"], "issuerRef": {"name": "b"}},
        }
        body["spec"].update(fields)
        return parse_certificate(body)

    passwords = Passwords(pkcs12="bench-password", jks="bench-password")
    plain = _median_ms(spec(), chain_pem, key_pem, Passwords())
    with_outputs = _median_ms(spec(**OUTPUTS), chain_pem, key_pem, passwords)
    return {
        "formats_write_ms": round(max(0.0, with_outputs - plain), 2),
        "tls_secret_build_ms": round(plain, 2),
    }


if __name__ == "__main__":
    print(figures())
