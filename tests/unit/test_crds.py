"""The CRDs in deploy/crds: well-formed, structural, and agreeing with the validation in evercert.api."""

import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from evercert.api.certificate import ISSUER_GROUPS, MAX_COMMON_NAME_LENGTH, MAX_DNS_NAMES
from evercert.api.dns01 import CNAME_STRATEGIES
from evercert.api.durations import GO_DURATION_PATTERN, parse_duration
from evercert.api.issuer import EAB_KEY_ALGORITHMS, ISSUER_KINDS, PATH_TYPES, SERVICE_TYPES, parse_issuer
from evercert.api.names import check_object_name, normalize_dns_name
from evercert.api.private_key import KEY_ALGORITHMS, KEY_SIZES, ROTATION_POLICIES
from evercert.certificates import status as certificate_status
from evercert.core.constants import GROUP, VERSION
from evercert.core.errors import InvalidSpec

CRDS = Path(__file__).resolve().parents[2] / "deploy" / "crds"
KINDS = {"certificates": "Certificate", "issuers": "Issuer", "clusterissuers": "ClusterIssuer"}


@functools.cache
def load(plural: str) -> dict[str, Any]:
    return yaml.safe_load((CRDS / f"{plural}.yaml").read_text())


def version(plural: str) -> dict[str, Any]:
    (only,) = load(plural)["spec"]["versions"]
    return only


def schema(plural: str, *path: str) -> dict[str, Any]:
    """The schema node at `path`, a property name per step ("items" steps into an array)."""
    node = version(plural)["schema"]["openAPIV3Schema"]
    for step in path:
        node = node["items"] if step == "items" else node["properties"][step]
    return node


def schema_nodes(node: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    yield path, node
    for name, child in node.get("properties", {}).items():
        yield from schema_nodes(child, f"{path}.{name}")
    if "items" in node:
        yield from schema_nodes(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        yield from schema_nodes(node["additionalProperties"], f"{path}{{}}")


def admits(node: dict[str, Any], value: Any) -> bool:
    """Whether the scalar keywords of a schema node (pattern, enum, length, range) admit `value`."""
    checks = [
        "enum" not in node or value in node["enum"],
        "pattern" not in node or re.search(node["pattern"], value) is not None,
        "minLength" not in node or len(value) >= node["minLength"],
        "maxLength" not in node or len(value) <= node["maxLength"],
        "minimum" not in node or value >= node["minimum"],
        "maximum" not in node or value <= node["maximum"],
    ]
    return all(checks)


def accepted(check: Any, *args: Any) -> bool:
    try:
        check(*args)
    except InvalidSpec:
        return False
    return True


@pytest.mark.parametrize("plural", KINDS)
class TestEveryCrd:
    def test_is_an_apiextensions_v1_crd_named_after_group_and_plural(self, plural: str) -> None:
        crd = load(plural)
        assert (crd["apiVersion"], crd["kind"]) == ("apiextensions.k8s.io/v1", "CustomResourceDefinition")
        assert crd["metadata"]["name"] == f"{plural}.{GROUP}"
        assert crd["spec"]["group"] == GROUP

    def test_names_the_kind_and_its_category(self, plural: str) -> None:
        names = load(plural)["spec"]["names"]
        assert names["kind"] == KINDS[plural]
        assert names["plural"] == plural
        assert names["singular"] == KINDS[plural].lower()
        assert names["listKind"] == f"{KINDS[plural]}List"
        assert names["categories"] == ["evercert"]

    def test_serves_and_stores_one_version_with_a_status_subresource(self, plural: str) -> None:
        only = version(plural)
        assert (only["name"], only["served"], only["storage"]) == (VERSION, True, True)
        assert only["subresources"] == {"status": {}}

    def test_schema_is_structural(self, plural: str) -> None:
        for path, node in schema_nodes(version(plural)["schema"]["openAPIV3Schema"]):
            assert "type" in node, f"{path} has no type"
            assert not ("properties" in node and "additionalProperties" in node), path
            assert node["type"] != "array" or "items" in node, f"{path} is an array without items"

    def test_status_conditions_are_a_list_keyed_by_type(self, plural: str) -> None:
        conditions = schema(plural, "status", "conditions")
        assert conditions["x-kubernetes-list-map-keys"] == ["type"]
        assert set(conditions["items"]["properties"]) == {
            "type",
            "status",
            "reason",
            "message",
            "lastTransitionTime",
            "observedGeneration",
        }

    def test_printer_columns_point_at_declared_fields(self, plural: str) -> None:
        for column in version(plural)["additionalPrinterColumns"]:
            path = column["jsonPath"]
            if path == ".metadata.creationTimestamp":
                continue
            steps = re.sub(r"\[\?\(.*\)\]", ".items", path).strip(".").split(".")
            assert schema(plural, *steps)["type"] == "string", path

    def test_ready_is_the_first_printer_column_and_age_the_last(self, plural: str) -> None:
        columns = version(plural)["additionalPrinterColumns"]
        assert columns[0] == {
            "name": "Ready",
            "type": "string",
            "jsonPath": '.status.conditions[?(@.type=="Ready")].status',
        }
        assert columns[-1] == {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}


class TestCertificateCrd:
    def test_is_namespaced_with_short_names(self) -> None:
        spec = load("certificates")["spec"]
        assert spec["scope"] == "Namespaced"
        assert spec["names"]["shortNames"] == ["cert", "certs"]

    def test_shows_secret_issuer_and_dates(self) -> None:
        columns = {
            c["name"]: c for c in version("certificates")["additionalPrinterColumns"] if "priority" not in c
        }
        assert list(columns) == ["Ready", "Secret", "Issuer", "Expires", "Renews", "Age"]
        # Future times as strings: kubectl renders a future "date" column as "<invalid>".
        assert columns["Expires"] == {"name": "Expires", "type": "string", "jsonPath": ".status.notAfter"}
        assert columns["Renews"] == {"name": "Renews", "type": "string", "jsonPath": ".status.renewalTime"}

    def test_requires_secret_name_and_issuer_ref(self) -> None:
        assert schema("certificates", "spec")["required"] == ["secretName", "issuerRef"]
        assert schema("certificates", "spec", "issuerRef")["required"] == ["name"]

    def test_rules_out_renew_before_with_percentage_and_a_spec_without_names(self) -> None:
        rules = [v["rule"] for v in schema("certificates", "spec")["x-kubernetes-validations"]]
        assert "!(has(self.renewBefore) && has(self.renewBeforePercentage))" in rules
        assert (
            "(has(self.dnsNames) && size(self.dnsNames) > 0) || has(self.commonName)"
            " || (has(self.ipAddresses) && size(self.ipAddresses) > 0)"
        ) in rules

    def test_status_declares_the_lifecycle_fields(self) -> None:
        status = schema("certificates", "status")["properties"]
        for name in ("notBefore", "notAfter", "renewalTime", "lastFailureTime"):
            assert status[name] == {"type": "string", "format": "date-time"}
        for name in ("revision", "failedIssuanceAttempts"):
            assert status[name]["type"] == "integer"
        assert set(status["order"]["properties"]) == {"url", "dnsNames", "issuer", "keyId", "dnsRecords"}
        record = status["order"]["properties"]["dnsRecords"]["items"]["properties"]
        assert set(record) == {"fqdn", "zone", "value", "dnsName", "solver", "seen"}
        assert set(status["renewalInfo"]["properties"]) == {"serial", "nextCheck", "windowStart", "windowEnd"}

    def test_status_declares_exactly_the_fields_evercert_writes(self) -> None:
        written = {
            value
            for name, value in vars(certificate_status).items()
            if name.isupper() and isinstance(value, str)
        }
        declared = schema("certificates", "status")
        assert set(declared["properties"]) == written
        assert "x-kubernetes-preserve-unknown-fields" not in declared

    def test_typed_status_round_trips_through_the_declared_fields(self) -> None:
        raw = {
            "order": {"url": "https://ca/o/1", "dnsNames": ["a.example"], "issuer": "Issuer/x", "keyId": "k"},
            "renewalInfo": {
                "serial": "ab",
                "nextCheck": "2026-01-01T00:00:00Z",
                "windowStart": "2026-01-02T00:00:00Z",
                "windowEnd": "2026-01-03T00:00:00Z",
            },
        }
        parsed = certificate_status.parse_status(raw)
        assert parsed.order is not None and parsed.order.to_status() == raw["order"]
        assert parsed.renewal_info is not None and parsed.renewal_info.to_status() == raw["renewalInfo"]


class TestIssuerCrds:
    def test_issuer_is_namespaced_and_cluster_issuer_is_not(self) -> None:
        assert load("issuers")["spec"]["scope"] == "Namespaced"
        assert load("clusterissuers")["spec"]["scope"] == "Cluster"

    def test_issuer_and_cluster_issuer_share_one_schema_and_columns(self) -> None:
        def without_descriptions(node: Any) -> Any:
            if isinstance(node, dict):
                return {k: without_descriptions(v) for k, v in node.items() if k != "description"}
            return [without_descriptions(v) for v in node] if isinstance(node, list) else node

        issuer, cluster_issuer = version("issuers"), version("clusterissuers")
        assert without_descriptions(issuer) == without_descriptions(cluster_issuer)

    def test_show_the_server_only_in_wide_output(self) -> None:
        columns = {c["name"]: c for c in version("issuers")["additionalPrinterColumns"]}
        assert columns["Server"] == {
            "name": "Server",
            "type": "string",
            "priority": 1,
            "jsonPath": ".spec.acme.server",
        }

    def test_require_server_account_key_and_a_solver(self) -> None:
        acme = schema("issuers", "spec", "acme")
        assert set(acme["required"]) == {"server", "privateKeySecretRef", "solvers"}
        assert acme["properties"]["privateKeySecretRef"]["required"] == ["name"]
        assert acme["properties"]["solvers"]["minItems"] == 1
        assert acme["properties"]["email"]["format"] == "email"

    def test_status_holds_the_account(self) -> None:
        assert set(schema("issuers", "status", "acme")["properties"]) == {"uri", "lastRegisteredEmail"}


class TestCrdsAgreeWithPythonValidation:
    """Whatever admission lets through, parsing must judge the same way (or explain more clearly)."""

    def test_key_algorithms_and_rotation_policies(self) -> None:
        private_key = schema("certificates", "spec", "privateKey")["properties"]
        assert tuple(private_key["algorithm"]["enum"]) == KEY_ALGORITHMS
        assert tuple(private_key["rotationPolicy"]["enum"]) == ROTATION_POLICIES

    def test_key_sizes(self) -> None:
        sizes = schema("certificates", "spec", "privateKey", "size")
        assert sorted(sizes["enum"]) == sorted(size for allowed in KEY_SIZES.values() for size in allowed)

    def test_issuer_ref_kinds_and_groups(self) -> None:
        ref = schema("certificates", "spec", "issuerRef")["properties"]
        assert tuple(ref["kind"]["enum"]) == ISSUER_KINDS
        assert tuple(ref["group"]["enum"]) == ISSUER_GROUPS

    def test_solver_and_eab_enums(self) -> None:
        ingress = schema("issuers", "spec", "acme", "solvers", "items", "http01", "ingress")["properties"]
        assert tuple(ingress["serviceType"]["enum"]) == SERVICE_TYPES
        assert tuple(ingress["pathType"]["enum"]) == PATH_TYPES
        eab = schema("issuers", "spec", "acme", "externalAccountBinding")["properties"]
        assert tuple(eab["keyAlgorithm"]["enum"]) == EAB_KEY_ALGORITHMS

    @pytest.mark.parametrize("plural", ["issuers", "clusterissuers"])
    def test_gateway_route_solver_has_cert_managers_fields(self, plural: str) -> None:
        http01 = schema(plural, "spec", "acme", "solvers", "items", "http01")
        route = http01["properties"]["gatewayHTTPRoute"]
        assert set(route["properties"]) == {"parentRefs", "labels", "serviceType", "podTemplate"}
        assert route["required"] == ["parentRefs"]
        assert tuple(route["properties"]["serviceType"]["enum"]) == SERVICE_TYPES
        parent = route["properties"]["parentRefs"]["items"]
        assert set(parent["properties"]) == {"group", "kind", "namespace", "name", "sectionName", "port"}
        assert not admits(parent["properties"]["port"], 70000)
        ingress_pod = http01["properties"]["ingress"]["properties"]["podTemplate"]
        assert route["properties"]["podTemplate"] == ingress_pod
        solvers = schema(plural, "spec", "acme", "solvers", "items")
        rules = " ".join(rule["rule"] for rule in solvers["x-kubernetes-validations"])
        assert "gatewayHTTPRoute" in rules and "dns01" in rules

    @pytest.mark.parametrize("plural", ["issuers", "clusterissuers"])
    def test_dns01_solver_has_cert_managers_fields(self, plural: str) -> None:
        solver = schema(plural, "spec", "acme", "solvers", "items")
        assert set(solver["properties"]["selector"]["properties"]) == {"dnsNames", "dnsZones", "matchLabels"}
        dns01 = solver["properties"]["dns01"]["properties"]
        assert set(dns01) == {"cnameStrategy", "rfc2136", "acmeDNS", "webhook", "nameservers"}  # + our own
        assert tuple(dns01["cnameStrategy"]["enum"]) == CNAME_STRATEGIES
        assert set(dns01["rfc2136"]["properties"]) == {
            "nameserver",
            "tsigKeyName",
            "tsigAlgorithm",
            "tsigSecretSecretRef",
        }
        assert set(dns01["acmeDNS"]["properties"]) == {"host", "accountSecretRef"}
        assert set(dns01["webhook"]["properties"]) == {"groupName", "solverName", "config"}

    def test_limits(self) -> None:
        assert schema("certificates", "spec", "dnsNames")["maxItems"] == MAX_DNS_NAMES
        assert schema("certificates", "spec", "commonName")["maxLength"] == MAX_COMMON_NAME_LENGTH

    @pytest.mark.parametrize("field", ["duration", "renewBefore"])
    def test_durations_use_the_parsers_pattern(self, field: str) -> None:
        assert schema("certificates", "spec", field)["pattern"] == GO_DURATION_PATTERN

    @pytest.mark.parametrize(
        "text", ["2160h", "1h30m", "1.5h", "90d", "720h0m0s", "1h", "2 h", "1H", "-1h", "", "1"]
    )
    def test_durations_admitted_are_durations_parsed(self, text: str) -> None:
        node = schema("certificates", "spec", "duration")
        assert admits(node, text) == accepted(parse_duration, text)

    @pytest.mark.parametrize(
        ("name", "admitted", "parsed"),
        [
            ("www.example.com", True, True),
            ("www.example.com.", True, True),
            ("xn--bcher-kva.example", True, True),
            ("a" * 63 + ".example.com", True, True),
            ("a" * 64 + ".example.com", False, False),
            ("*.example.com", True, True),  # validated over DNS-01
            ("192.0.2.1", True, False),  # looks like a DNS name to a pattern; parsing explains
            ("WWW.example.com", False, True),  # parsing lowercases what reaches it from other sources
            ("my_host.example.com", False, False),
            ("-a.example.com", False, False),
            ("a..b", False, False),
            ("", False, False),
        ],
    )
    def test_dns_names(self, name: str, admitted: bool, parsed: bool) -> None:
        node = schema("certificates", "spec", "dnsNames", "items")
        assert admits(node, name) == admitted
        assert accepted(normalize_dns_name, name, "dnsNames[0]", True) == parsed

    @pytest.mark.parametrize(
        "name", ["web-tls", "www.example.com-tls", "Web", "web_tls", "-web", "web.", "a" * 254]
    )
    def test_secret_names(self, name: str) -> None:
        node = schema("certificates", "spec", "secretName")
        assert admits(node, name) == accepted(check_object_name, name, "secretName")

    @pytest.mark.parametrize(
        ("percentage", "valid"), [(0, False), (1, True), (50, True), (99, True), (100, False)]
    )
    def test_renew_before_percentage_range(self, percentage: int, valid: bool) -> None:
        assert admits(schema("certificates", "spec", "renewBeforePercentage"), percentage) == valid

    @pytest.mark.parametrize(
        ("server", "admitted", "parsed"),
        [
            ("https://acme.example.com/dir", True, True),
            ("http://127.0.0.1:14000/dir", True, True),
            ("http://acme.example.com/dir", True, False),  # parsing explains that http:// is for localhost
            ("acme.example.com", False, False),
        ],
    )
    def test_servers(self, server: str, admitted: bool, parsed: bool) -> None:
        body = {
            "metadata": {"name": "le"},
            "spec": {
                "acme": {
                    "server": server,
                    "privateKeySecretRef": {"name": "le-account"},
                    "solvers": [{"http01": {"ingress": {}}}],
                }
            },
        }
        assert admits(schema("issuers", "spec", "acme", "server"), server) == admitted
        assert accepted(parse_issuer, body, "ClusterIssuer") == parsed
