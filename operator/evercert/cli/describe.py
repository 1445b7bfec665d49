"""What a tls Secret holds, for people: names, issuer, serial, validity, key type, chain, ARI window.

tls.key is read for one thing only, whether it belongs to the certificate; nothing of it is printed.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import itertools
from collections.abc import Mapping
from typing import Any

from cryptography import x509

from ..conditions import timestamp
from ..core import constants
from ..pki import (
    certificate_info,
    chain_verifies,
    key_matches_certificate,
    parse_pem_chain,
    public_key_type,
    signed_by,
)
from .formatting import NONE, parse_time, relative, short_duration
from .view import certificate_view

_LABEL_WIDTH = 14
# notAfter is the last second of validity (RFC 5280): a 90-day certificate ends at notBefore + 90d - 1s.
_INCLUSIVE_END = datetime.timedelta(seconds=1)


class NotATlsSecret(ValueError):
    """The Secret holds no readable certificate in tls.crt."""


def describe_tls_secret(
    secret: Mapping[str, Any], certificate: Mapping[str, Any] | None, now: datetime.datetime
) -> str:
    """The report on one tls Secret; `certificate` is its owning Certificate, when there is one."""
    cert_pem = _field(secret, constants.TLS_CERT)
    try:
        chain = parse_pem_chain(cert_pem) if cert_pem else []
    except ValueError:
        chain = []
    if not chain:
        raise NotATlsSecret("the Secret has no PEM certificate in tls.crt")
    leaf = chain[0]
    info = certificate_info(leaf)
    metadata = secret.get("metadata") or {}
    annotations = metadata.get("annotations") or {}
    lines = [
        ("Name", metadata.get("name") or NONE),
        ("Namespace", metadata.get("namespace") or NONE),
        ("Certificate", _owner(annotations, certificate)),
        ("Issuer", _issuer(annotations)),
        ("Issuer DN", leaf.issuer.rfc4514_string() or NONE),
        ("Subject", leaf.subject.rfc4514_string() or NONE),
        ("Names", ", ".join(info.dns_names) or NONE),
        ("Serial", _serial(info.serial_hex, annotations)),
        ("Not before", f"{timestamp(info.not_before)} ({relative(info.not_before, now)})"),
        ("Not after", f"{timestamp(info.not_after)} ({_remaining(info.not_after, now)})"),
        ("Lifetime", short_duration(info.not_after - info.not_before + _INCLUSIVE_END)),
        ("Key", public_key_type(leaf)),
        ("Private key", _private_key(secret, cert_pem)),
    ]
    if certificate is not None:
        lines += _renewal(certificate, info.serial_hex, now)
    text = [f"{label + ':':<{_LABEL_WIDTH}}  {value}" for label, value in lines]
    text.append("Chain:")
    text += [f"  [{index}] {_link(cert)}" for index, cert in enumerate(chain)]
    text.append(f"{'Chain check:':<{_LABEL_WIDTH}}  {_chain_check(chain, secret, info.dns_names, now)}")
    return "\n".join(text)


def _field(secret: Mapping[str, Any], key: str) -> bytes:
    value = (secret.get("data") or {}).get(key)
    try:
        return base64.b64decode(value) if value else b""
    except (binascii.Error, ValueError):
        return b""


def _owner(annotations: Mapping[str, str], certificate: Mapping[str, Any] | None) -> str:
    name = annotations.get(constants.ANNOTATION_CERTIFICATE_NAME)
    if not name:
        return "none (the Secret was not written by evercert)"
    if certificate is None:
        return f"{name} (not found)"
    view = certificate_view(certificate)
    revision = f", revision {view.revision}" if view.revision is not None else ""
    return f"{name} (Ready {view.ready}{revision})"


def _issuer(annotations: Mapping[str, str]) -> str:
    name = annotations.get(constants.ANNOTATION_ISSUER_NAME)
    kind = annotations.get(constants.ANNOTATION_ISSUER_KIND)
    if not name:
        return NONE
    return f"{name} ({kind})" if kind else name


def _serial(serial_hex: str, annotations: Mapping[str, str]) -> str:
    noted = annotations.get(constants.ANNOTATION_SERIAL)
    if noted and noted.lower() != serial_hex:
        return f"{serial_hex} (the annotation {constants.ANNOTATION_SERIAL} says {noted})"
    return serial_hex


def _remaining(not_after: datetime.datetime, now: datetime.datetime) -> str:
    if not_after <= now:
        return f"EXPIRED {relative(not_after, now)}"
    return f"{short_duration(not_after - now)} left"


def _private_key(secret: Mapping[str, Any], cert_pem: bytes) -> str:
    key_pem = _field(secret, constants.TLS_KEY)
    if not key_pem:
        return "missing from tls.key"
    if key_matches_certificate(key_pem, cert_pem):
        return "in tls.key, matches the certificate"
    return "in tls.key, does NOT match the certificate (or cannot be read)"


def _renewal(
    certificate: Mapping[str, Any], serial_hex: str, now: datetime.datetime
) -> list[tuple[str, str]]:
    """The renewal time and the CA's ARI window, from the owning Certificate's status."""
    status = certificate.get("status") or {}
    renews = parse_time(status.get("renewalTime"))
    lines = [("Renews", f"{timestamp(renews)} ({relative(renews, now)})" if renews else NONE)]
    info = status.get("renewalInfo")
    if not isinstance(info, Mapping):
        return lines
    start, end = parse_time(info.get("windowStart")), parse_time(info.get("windowEnd"))
    if info.get("serial") != serial_hex:
        window = f"recorded for another certificate (serial {info.get('serial') or NONE})"
    elif start and end:
        window = f"{timestamp(start)} to {timestamp(end)} (starts {relative(start, now)})"
    else:
        window = "the CA suggests none"
    next_check = parse_time(info.get("nextCheck"))
    if next_check:
        window += f", next check {relative(next_check, now)}"
    return [*lines, ("ARI window", window)]


def _link(cert: x509.Certificate) -> str:
    subject, issuer = cert.subject.rfc4514_string() or NONE, cert.issuer.rfc4514_string() or NONE
    return f"{subject}  issued by {issuer}  until {timestamp(cert.not_valid_after_utc)}"


def _chain_check(
    chain: list[x509.Certificate], secret: Mapping[str, Any], names: tuple[str, ...], now: datetime.datetime
) -> str:
    """Whether each certificate is signed by the next, and (given ca.crt) whether it all builds to it."""
    for index, (cert, issuer) in enumerate(itertools.pairwise(chain)):
        if not signed_by(cert, issuer):
            return f"BROKEN: [{index}] is not signed by [{index + 1}]"
    ca_pem = _field(secret, constants.CA_CERT)
    if not ca_pem:
        return "each certificate is signed by the next; no ca.crt to check the root against"
    if names and chain_verifies(_field(secret, constants.TLS_CERT), ca_pem, names[0], now):
        return f"verifies up to ca.crt for {names[0]}"
    return "does NOT verify up to ca.crt"
