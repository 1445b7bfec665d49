"""IP address certificates (spec.ipAddresses, RFC 8738) with HTTP-01 against Pebble's shortlived profile.

For an ip identifier Pebble connects to the address itself: 127.0.0.1 on its HTTP-01 port, where the
test bed's solver host routes by path (the solver Ingress has no host rule for an address)."""

from __future__ import annotations

import datetime
import ipaddress

from cryptography import x509

from evercert.api.certificate import parse_certificate
from evercert.certificates.tls_secret import read_contents
from evercert.certificates.trigger import certificate_renewal_time
from evercert.pki import key_matches_certificate
from evercert_devenv.environment import LocalEnvironment
from evercert_devenv.processes import Server

from ..support.cluster import condition, get
from ..support.waiting import wait_for
from .helpers import certificate, serial, tls_data, wait_ready
from .watching import Watch

ADDRESS = "127.0.0.1"


def shortlived_issuer(env: LocalEnvironment, namespace: str, operator: Server) -> str:
    issuer = env.cluster_issuer("pebble-shortlived")
    issuer["spec"]["acme"]["profile"] = "shortlived"  # type: ignore[index]
    issuer["kind"] = "Issuer"
    issuer["metadata"] = {"name": "shortlived", "namespace": namespace}
    env.apply(issuer)
    ready = lambda: condition(env, "issuer", namespace, "shortlived", "Ready") == "True"  # noqa: E731
    wait_for(ready, 60, "Issuer Ready", operator)
    return "shortlived"


def parse_time(text: str) -> datetime.datetime:
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC)


def test_issues_an_ip_address_certificate_and_renews_it_at_half_its_short_lifetime(
    env: LocalEnvironment, operator: Server, namespace: str
) -> None:
    issuer = shortlived_issuer(env, namespace, operator)
    with Watch(env, "ingresses", namespace) as ingresses:
        env.apply(certificate(namespace, "ip", [], issuer=issuer, kind="Issuer", ipAddresses=[ADDRESS]))
        wait_ready(env, namespace, "ip", process=operator)
    chain, key = tls_data(env, namespace, "ip-tls")
    assert key_matches_certificate(key, chain)
    leaf = x509.load_pem_x509_certificates(chain)[0]
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address(ADDRESS)]
    assert sans.get_values_for_type(x509.DNSName) == []
    rules = [rule for _, ingress in ingresses.events for rule in ingress["spec"].get("rules") or []]
    assert rules, "no solver Ingress was seen"
    assert all("host" not in rule for rule in rules), rules

    # evercert's own renewal time for the real certificate (renewal.py): half its short lifetime,
    # less a jitter of at most 1 % of it.
    contents = read_contents(get(env, "secret", namespace, "ip-tls") or {})
    spec = parse_certificate(get(env, "certificate", namespace, "ip") or {})
    lifetime = leaf.not_valid_after_utc - leaf.not_valid_before_utc
    assert lifetime <= datetime.timedelta(minutes=5), "the shortlived profile was not used"
    half = leaf.not_valid_after_utc - lifetime / 2
    assert half - lifetime / 100 <= certificate_renewal_time(spec, contents) <= half
    # Pebble offers ACME Renewal Information, whose window wins (RFC 9773): status.renewalTime lies in it.
    status = (get(env, "certificate", namespace, "ip") or {})["status"]
    renewal = parse_time(status["renewalTime"])
    window = status["renewalInfo"]
    assert parse_time(window["windowStart"]) <= renewal <= parse_time(window["windowEnd"])

    first = serial(chain)
    wait_for(lambda: serial(tls_data(env, namespace, "ip-tls")[0]) != first, 60, "a renewal", operator)
    assert datetime.datetime.now(datetime.UTC) >= renewal, "renewed before the renewal time"
    wait_ready(env, namespace, "ip", process=operator)
    renewed = x509.load_pem_x509_certificates(tls_data(env, namespace, "ip-tls")[0])[0]
    renewed_sans = renewed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert renewed_sans.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address(ADDRESS)]
