"""DNS-01 solvers (`spec.acme.solvers[].dns01`, cert-manager's field names) and every solver's `selector`,
as typed, validated values. Three providers: rfc2136, acmeDNS and webhook."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

from ..core.errors import InvalidSpec
from .fields import Fields
from .names import check_labels, check_object_name, is_ip_address, normalize_dns_name

CnameStrategy = Literal["None", "Follow"]
CNAME_STRATEGIES: tuple[str, ...] = get_args(CnameStrategy)
# cert-manager's names for the TSIG algorithms (HMACMD5 is its default, kept for manifests that rely on it).
TSIG_ALGORITHMS: tuple[str, ...] = (
    "HMACMD5",
    "HMACSHA1",
    "HMACSHA224",
    "HMACSHA256",
    "HMACSHA384",
    "HMACSHA512",
)
DNS_PORT = 53
_PROVIDERS = ("rfc2136", "acmeDNS", "webhook")


@dataclass(frozen=True)
class SecretKeyRef:
    """One key of a Secret in the namespace the solver's references resolve in."""

    name: str
    key: str


@dataclass(frozen=True)
class Rfc2136Provider:
    """DNS UPDATE (RFC 2136) to `host`:`port`, signed with TSIG when a key is named."""

    host: str
    port: int = DNS_PORT
    tsig_key_name: str | None = None
    tsig_algorithm: str = "HMACMD5"
    tsig_secret: SecretKeyRef | None = None


@dataclass(frozen=True)
class AcmeDnsProvider:
    """The acme-dns REST API at `host`; the account (JSON, per name) is in a Secret."""

    host: str
    account_secret: SecretKeyRef


@dataclass(frozen=True)
class WebhookProvider:
    """cert-manager's DNS webhook protocol: POST a ChallengePayload to /apis/<group>/v1alpha1/<solver>."""

    group_name: str
    solver_name: str
    config: Mapping[str, Any] | None = None


Dns01Provider = Rfc2136Provider | AcmeDnsProvider | WebhookProvider


@dataclass(frozen=True)
class SolverSelector:
    """Which names a solver is for (cert-manager's `selector`); empty parts match everything."""

    dns_names: tuple[str, ...] = ()
    dns_zones: tuple[str, ...] = ()
    match_labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Dns01Solver:
    """A DNS-01 solver: where to put the TXT record, and whether to follow the name's CNAME first."""

    provider: Dns01Provider
    cname_strategy: CnameStrategy = "None"
    selector: SolverSelector | None = None
    # evercert's own: the recursive nameservers ("ip" or "ip:port") this solver's zones are found
    # through, instead of the operator's (EVERCERT_DNS01_NAMESERVERS): split-horizon DNS, say.
    nameservers: tuple[str, ...] = ()


def parse_dns01(dns01: Fields, selector: SolverSelector | None = None) -> Dns01Solver:
    """The DNS-01 solver of `dns01` (one provider); InvalidSpec names the field to fix."""
    given = [key for key in _PROVIDERS if dns01.has(key)]
    unknown = [key for key in dns01.data if key not in (*_PROVIDERS, "cnameStrategy", "nameservers")]
    if unknown and not given:
        raise InvalidSpec(
            f"{dns01.path}: the provider {unknown[0]} is not built in: use rfc2136 (DNS UPDATE), acmeDNS, "
            "or webhook (any cert-manager DNS webhook)"
        )
    if len(given) != 1:
        found = f" (found {', '.join(given)})" if given else ""
        raise InvalidSpec(f"{dns01.path}: set exactly one of {', '.join(_PROVIDERS)}{found}")
    provider: Dns01Provider
    if given[0] == "rfc2136":
        provider = _rfc2136(dns01.section("rfc2136"))
    elif given[0] == "acmeDNS":
        provider = _acme_dns(dns01.section("acmeDNS"))
    else:
        provider = _webhook(dns01.section("webhook"))
    strategy = dns01.choice("cnameStrategy", CNAME_STRATEGIES, "None")
    return Dns01Solver(
        provider=provider,
        cname_strategy=cast(CnameStrategy, strategy),
        selector=selector,
        nameservers=_nameservers(dns01),
    )


def _nameservers(dns01: Fields) -> tuple[str, ...]:
    """`nameservers`, each an IP address with an optional port (a resolver is named by address)."""
    servers = dns01.str_list("nameservers")
    for i, server in enumerate(servers):
        path = f"{dns01.path_of('nameservers')}[{i}]"
        host, _ = parse_nameserver(server, path)
        if not is_ip_address(host):
            raise InvalidSpec(f"{path}: {server!r} must be an IP address, optionally with :port")
    return servers


def parse_selector(solver: Fields) -> SolverSelector | None:
    """The solver's `selector`; None when it has none (it then matches every name, at the lowest rank)."""
    if "selector" not in solver.data or solver.data.get("selector") is None:
        return None
    selector = solver.section("selector")
    return SolverSelector(
        dns_names=_selector_names(selector, "dnsNames"),
        dns_zones=_selector_names(selector, "dnsZones"),
        match_labels=check_labels(selector.str_map("matchLabels"), selector.path_of("matchLabels")),
    )


def _selector_names(selector: Fields, key: str) -> tuple[str, ...]:
    path = selector.path_of(key)
    names = selector.str_list(key)
    return tuple(normalize_dns_name(name, f"{path}[{i}]", wildcard=True) for i, name in enumerate(names))


def _rfc2136(section: Fields) -> Rfc2136Provider:
    host, port = parse_nameserver(section.required_str("nameserver"), section.path_of("nameserver"))
    key_name = section.optional_str("tsigKeyName")
    secret_ref = section.section("tsigSecretSecretRef")
    secret = _secret_key_ref(secret_ref) if secret_ref.data else None
    if (key_name is None) != (secret is None):
        raise InvalidSpec(
            f"{section.path}: set both tsigKeyName and tsigSecretSecretRef to sign updates, or neither"
        )
    algorithm = (section.optional_str("tsigAlgorithm") or "HMACMD5").upper().replace("-", "")
    if algorithm not in TSIG_ALGORITHMS:
        raise InvalidSpec(
            f"{section.path_of('tsigAlgorithm')} must be one of {', '.join(TSIG_ALGORITHMS)}, "
            f"not {section.optional_str('tsigAlgorithm')!r}"
        )
    return Rfc2136Provider(
        host=host, port=port, tsig_key_name=key_name, tsig_algorithm=algorithm, tsig_secret=secret
    )


def parse_nameserver(value: str, path: str) -> tuple[str, int]:
    """`host`, `host:port`, `[v6]:port` or a bare IPv6 address as (host, port); port 53 by default."""
    text = value.strip()
    host, port_text = text, ""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.removeprefix(":")
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    port = DNS_PORT
    if port_text:
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise InvalidSpec(f"{path}: {value!r} must be host or host:port with a port from 1 to 65535")
        port = int(port_text)
    if not host or not (is_ip_address(host) or _is_host_name(host)):
        raise InvalidSpec(f"{path}: {value!r} must be an IP address or host name, optionally with :port")
    return host, port


def _is_host_name(host: str) -> bool:
    try:
        normalize_dns_name(host, "")
    except InvalidSpec:
        return False
    return True


def _acme_dns(section: Fields) -> AcmeDnsProvider:
    host = section.required_str("host")
    if not host.startswith(("https://", "http://")):
        raise InvalidSpec(
            f"{section.path_of('host')}: {host!r} must be the http(s):// URL of the acme-dns API"
        )
    return AcmeDnsProvider(host=host, account_secret=_secret_key_ref(section.section("accountSecretRef")))


def _webhook(section: Fields) -> WebhookProvider:
    group_name = check_object_name(section.required_str("groupName"), section.path_of("groupName"))
    solver_name = section.required_str("solverName")
    config = section.data.get("config")
    if config is not None:
        try:
            json.dumps(config)
        except (TypeError, ValueError):
            raise InvalidSpec(f"{section.path_of('config')} must be JSON") from None
    return WebhookProvider(group_name=group_name, solver_name=solver_name, config=config)


def _secret_key_ref(ref: Fields) -> SecretKeyRef:
    return SecretKeyRef(
        name=check_object_name(ref.required_str("name"), ref.path_of("name")), key=ref.required_str("key")
    )
