"""Syntax of the names a spec holds: DNS names to certify, Kubernetes object names, label keys."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping

from ..core.errors import InvalidSpec

MAX_DNS_NAME_LENGTH = 253
_DNS_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
_DNS_NAME = re.compile(rf"{_DNS_LABEL}(\.{_DNS_LABEL})*")
_SUBDOMAIN_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN = re.compile(rf"{_SUBDOMAIN_LABEL}(\.{_SUBDOMAIN_LABEL})*")
_LABEL_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_MAX_LABEL_NAME_LENGTH = 63


def normalize_dns_name(name: str, field: str, wildcard: bool = False) -> str:
    """`name` lowercased, without one trailing dot; InvalidSpec when an ACME CA could not certify it.

    With `wildcard`, a first label `*` is allowed (`*.example.com`: validated over DNS-01 only)."""
    normalized = name.lower().removesuffix(".")
    if wildcard and normalized.startswith("*.") and "*" not in normalized[2:]:
        return "*." + normalize_dns_name(normalized[2:], field)
    if "*" in normalized:
        where = "the whole first label, as in *.example.com" if wildcard else "not here"
        raise InvalidSpec(f"{field}: {name!r} has a wildcard, which may only be {where}")
    if is_ip_address(normalized.strip("[]")):
        raise InvalidSpec(f"{field}: {name!r} is an IP address: list it in spec.ipAddresses instead")
    if not normalized.isascii():
        raise InvalidSpec(f"{field}: {name!r} is not ASCII; write internationalized names in punycode (xn--)")
    if len(normalized) > MAX_DNS_NAME_LENGTH or not _DNS_NAME.fullmatch(normalized):
        raise InvalidSpec(
            f"{field}: {name!r} is not a valid DNS name: use labels of letters, digits and '-' "
            f"(no '_', at most 63 characters each) separated by dots, {MAX_DNS_NAME_LENGTH} characters in all"
        )
    return normalized


def normalize_ip_address(address: str, field: str) -> str:
    """`address` in its canonical text (IPv6 compressed); InvalidSpec when it is not an IP address."""
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        raise InvalidSpec(f"{field}: {address!r} is not an IPv4 or IPv6 address") from None


def check_object_name(name: str, field: str) -> str:
    """`name` unchanged if Kubernetes accepts it as an object name (a DNS-1123 subdomain)."""
    if len(name) > MAX_DNS_NAME_LENGTH or not _SUBDOMAIN.fullmatch(name):
        raise InvalidSpec(
            f"{field}: {name!r} is not a valid Kubernetes object name: use lowercase letters, digits, '-' "
            f"and '.', starting and ending with a letter or digit, at most {MAX_DNS_NAME_LENGTH} characters"
        )
    return name


def check_labels(labels: Mapping[str, str], field: str) -> Mapping[str, str]:
    """`labels` unchanged if every key and value is one Kubernetes accepts on a label."""
    check_annotations(labels, field)
    for key, value in labels.items():
        if value and not _is_label_name(value):
            raise InvalidSpec(
                f"{field}[{key!r}]: {value!r} is not a valid label value: at most 63 letters, digits, "
                "'-', '_' or '.', starting and ending with a letter or digit"
            )
    return labels


def check_annotations(annotations: Mapping[str, str], field: str) -> Mapping[str, str]:
    """`annotations` unchanged if every key is a qualified name (`prefix/name` or `name`)."""
    for key in annotations:
        if not _is_qualified_name(key):
            raise InvalidSpec(
                f"{field}: {key!r} is not a valid key: use `name` or `prefix/name`, where the name has at "
                "most 63 letters, digits, '-', '_' or '.' and the prefix is a DNS subdomain"
            )
    return annotations


def is_ip_address(name: str) -> bool:
    """An IP address (v4 or v6) rather than a DNS name."""
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _is_qualified_name(key: str) -> bool:
    prefix, slash, name = key.rpartition("/")
    if slash and (len(prefix) > MAX_DNS_NAME_LENGTH or not _SUBDOMAIN.fullmatch(prefix)):
        return False
    return _is_label_name(name)


def _is_label_name(text: str) -> bool:
    return len(text) <= _MAX_LABEL_NAME_LENGTH and _LABEL_NAME.fullmatch(text) is not None
