"""The files beside tls.crt and tls.key: their passwords read, the files built from the key and chain
(pure), and whether a Secret holds what the spec asks for now (pure, from facts kept of the Secret)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from ..api.certificate import CertificateSpec
from ..api.outputs import JKS_CA_ALIAS, Outputs, PasswordSource
from ..core import constants
from ..core.errors import KeystorePasswordUnavailable
from ..kube.client import Kube, patch_secret_metadata, read_secret
from ..pki import jks, load_private_key_pem
from ..pki.formats import combined_pem, encode_private_key
from ..pki.pkcs12 import keystore_p12, truststore_p12

# Every file an output may add: what is written is these minus what the spec no longer asks for.
OUTPUT_FILES = (
    constants.COMBINED_PEM,
    constants.KEY_DER,
    constants.KEYSTORE_P12,
    constants.TRUSTSTORE_P12,
    constants.KEYSTORE_JKS,
    constants.TRUSTSTORE_JKS,
)
_DIGEST_VERSION = "1"


@dataclass(frozen=True)
class Passwords:
    """The keystores' passwords as read for one look (never logged, never written but into keystores)."""

    pkcs12: str | None = field(default=None, repr=False)
    jks: str | None = field(default=None, repr=False)


NO_PASSWORDS = Passwords()


def known_passwords(spec: CertificateSpec) -> Passwords | None:
    """The keystores' passwords when none is kept in a Secret (no request); None: read_passwords."""
    sources = spec.outputs.password_sources
    if any(source.literal is None for source in sources):
        return None
    outputs = spec.outputs
    return Passwords(
        outputs.pkcs12.password.literal if outputs.pkcs12 else None,
        outputs.jks.password.literal if outputs.jks else None,
    )


async def read_passwords(kube: Kube, spec: CertificateSpec) -> Passwords:
    """The passwords the keystores use: literal, or read from their Secrets (one GET each)."""
    outputs = spec.outputs
    if outputs.pkcs12 is None and outputs.jks is None:
        return NO_PASSWORDS
    pkcs12 = await _password(kube, spec.namespace, outputs.pkcs12.password) if outputs.pkcs12 else None
    jks_password = await _password(kube, spec.namespace, outputs.jks.password) if outputs.jks else None
    return Passwords(pkcs12, jks_password)


async def _password(kube: Kube, namespace: str, source: PasswordSource) -> str:
    if source.literal is not None:
        return source.literal
    assert source.secret_name is not None and source.secret_key is not None
    secret = await read_secret(kube, namespace, source.secret_name)
    password = password_from_secret(secret, source)
    assert secret is not None
    labels = (secret.get("metadata") or {}).get("labels") or {}
    if labels.get(constants.LABEL_KEYSTORE_PASSWORD) != "true":
        labels = {constants.LABEL_KEYSTORE_PASSWORD: "true"}
        await patch_secret_metadata(kube, namespace, source.secret_name, {"labels": labels})
    return password


def password_from_secret(secret: Mapping[str, object] | None, source: PasswordSource) -> str:
    """The password at the source's key; KeystorePasswordUnavailable says what is missing."""
    where = f"Secret {source.secret_name!r}"
    if secret is None:
        raise KeystorePasswordUnavailable(
            f"the keystore password {where} does not exist: create it with the key {source.secret_key!r}"
        )
    data = secret.get("data") or {}
    assert isinstance(data, Mapping)
    try:
        password = base64.b64decode(data.get(source.secret_key) or "", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        password = ""
    if not password:
        raise KeystorePasswordUnavailable(
            f"the keystore password {where} has no non-empty UTF-8 value at key {source.secret_key!r}"
        )
    return password


def outputs_digest(spec: CertificateSpec, passwords: Passwords) -> str | None:
    """What the annotation on the Secret says of its outputs: a hash of the settings and passwords
    (salted with the Secret's name), so a changed password shows without the password being kept."""
    outputs = spec.outputs
    if outputs.is_default:
        return None
    parts = [
        _DIGEST_VERSION,
        spec.namespace,
        spec.secret_name,
        outputs.key_encoding,
        f"combined={outputs.combined_pem}",
        f"der={outputs.der}",
        f"pkcs12={outputs.pkcs12.profile}:{passwords.pkcs12}" if outputs.pkcs12 else "",
        f"jks={outputs.jks.alias}:{passwords.jks}" if outputs.jks else "",
    ]
    return "sha256:" + hashlib.sha256("\0".join(parts).encode()).hexdigest()


def expected_files(outputs: Outputs, ca_known: bool) -> frozenset[str]:
    """The output files a Secret should hold (truststores only when the CA certificate is known)."""
    files = {
        constants.COMBINED_PEM: outputs.combined_pem,
        constants.KEY_DER: outputs.der,
        constants.KEYSTORE_P12: outputs.pkcs12 is not None,
        constants.TRUSTSTORE_P12: outputs.pkcs12 is not None and ca_known,
        constants.KEYSTORE_JKS: outputs.jks is not None,
        constants.TRUSTSTORE_JKS: outputs.jks is not None and ca_known,
    }
    return frozenset(name for name, wanted in files.items() if wanted)


def outputs_current(
    spec: CertificateSpec, passwords: Passwords, digest: str | None, files: Sequence[str]
) -> bool:
    """True when a Secret with this outputs annotation and these data keys holds what the spec asks."""
    held = frozenset(files)
    wanted = expected_files(spec.outputs, constants.CA_CERT in held)
    return digest == outputs_digest(spec, passwords) and held & set(OUTPUT_FILES) == wanted


def build_outputs(
    outputs: Outputs, passwords: Passwords, key_pem: bytes, chain: Sequence[x509.Certificate], ca_known: bool
) -> dict[str, bytes]:
    """tls.key in the asked encoding, and every output file, from the key and the chain (leaf first)."""
    key = load_private_key_pem(key_pem, check=False)  # re-encoded only: it was checked against the leaf
    tls_key = encode_private_key(key, outputs.key_encoding)
    chain_pem = b"".join(cert.public_bytes(Encoding.PEM) for cert in chain)
    files = {constants.TLS_KEY: tls_key}
    if outputs.combined_pem:
        files[constants.COMBINED_PEM] = combined_pem(tls_key, chain_pem)
    if outputs.der:
        files[constants.KEY_DER] = encode_private_key(key, outputs.key_encoding, der=True)
    ca = chain[-1] if ca_known else None
    if outputs.pkcs12 is not None:
        assert passwords.pkcs12 is not None
        files[constants.KEYSTORE_P12] = keystore_p12(key, chain, passwords.pkcs12, outputs.pkcs12.profile)
        if ca is not None:
            files[constants.TRUSTSTORE_P12] = truststore_p12(ca, passwords.pkcs12, outputs.pkcs12.profile)
    if outputs.jks is not None:
        assert passwords.jks is not None
        stamp = int(chain[0].not_valid_before_utc.timestamp() * 1000)
        der = encode_private_key(key, "PKCS8", der=True)
        entries: list[jks.KeyEntry | jks.TrustedEntry] = [jks.KeyEntry(outputs.jks.alias, der, chain)]
        if ca is not None:
            entries.append(jks.TrustedEntry(JKS_CA_ALIAS, ca))
            files[constants.TRUSTSTORE_JKS] = jks.encode_jks(
                [jks.TrustedEntry(JKS_CA_ALIAS, ca)], passwords.jks, stamp
            )
        files[constants.KEYSTORE_JKS] = jks.encode_jks(entries, passwords.jks, stamp)
    return files
