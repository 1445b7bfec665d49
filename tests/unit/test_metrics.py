"""The metrics: names and label sets as cert-manager's, Certificates forgotten, a real scrape parsed."""

from __future__ import annotations

import datetime
import http.server
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from evercert import metrics
from evercert.acme.client import Network
from evercert.metrics import acme_paths
from evercert.metrics.acme_requests import AcmeRequestMetrics
from evercert.metrics.certificates import CertificateMetrics

CERTIFICATE_LABELS = {"name", "namespace", "issuer_name", "issuer_kind", "issuer_group"}
NOT_BEFORE = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
NOT_AFTER = datetime.datetime(2026, 4, 1, tzinfo=datetime.UTC)
RENEWAL = datetime.datetime(2026, 3, 2, tzinfo=datetime.UTC)


def samples(text: str | bytes, family: str) -> list[Sample]:
    """The samples of one family in a scrape, as Prometheus' own text format parser reads them."""
    text = text.decode() if isinstance(text, bytes) else text
    return [s for f in text_string_to_metric_families(text) if f.name == family for s in f.samples]


def certificate_scrape(store: CertificateMetrics) -> str:
    return store.exposition().decode()


def observe(store: CertificateMetrics, name: str = "shop", **changes: object) -> None:
    values: dict[str, object] = {
        "namespace": "team",
        "name": name,
        "issuer_kind": "ClusterIssuer",
        "issuer_name": "letsencrypt-production",
        "issuer_group": "evercert.dev",
        "not_before": NOT_BEFORE,
        "not_after": NOT_AFTER,
        "renewal_time": RENEWAL,
        "ready": True,
        "issuing": False,
        **changes,
    }
    store.observe(**values)  # type: ignore[arg-type]


@pytest.fixture
def directories() -> Iterator[None]:
    acme_paths.forget_directories()
    yield
    acme_paths.forget_directories()


# Path kinds


LETS_ENCRYPT = {
    "https://acme-v02.api.letsencrypt.org/directory": "directory",
    "https://acme-v02.api.letsencrypt.org/acme/new-nonce": "new-nonce",
    "https://acme-v02.api.letsencrypt.org/acme/new-acct": "new-account",
    "https://acme-v02.api.letsencrypt.org/acme/new-order": "new-order",
    "https://acme-v02.api.letsencrypt.org/acme/acct/2104755616": "account",
    "https://acme-v02.api.letsencrypt.org/acme/order/2104755616/389474217016": "order",
    "https://acme-v02.api.letsencrypt.org/acme/authz/2104755616/497152391196": "authz",
    "https://acme-v02.api.letsencrypt.org/acme/chall/2104755616/497152391196/Ai8k2Q": "challenge",
    "https://acme-v02.api.letsencrypt.org/acme/finalize/2104755616/389474217016": "finalize",
    "https://acme-v02.api.letsencrypt.org/acme/cert/04c8e1b0a2f7d6bd8a3c6a7f0f3e9d2c1b0a": "certificate",
    "https://acme-v02.api.letsencrypt.org/acme/renewal-info/aYhba4dGQEHhs3uEe6CuLN4.BJXxxQ": "renewal-info",
    "https://acme-v02.api.letsencrypt.org/acme/revoke-cert": "revoke-cert",
    "https://acme-v02.api.letsencrypt.org/acme/key-change": "key-change",
}
PEBBLE = {
    "https://127.0.0.1:14000/dir": "directory",
    "https://127.0.0.1:14000/my-account/1": "account",
    "https://127.0.0.1:14000/my-order/kP2cXh_5JmL0": "order",
    "https://127.0.0.1:14000/authZ/yQz9-8tB2uQ": "authz",
    "https://127.0.0.1:14000/chalZ/0nTg8Kx1": "challenge",
    "https://127.0.0.1:14000/finalize-order/kP2cXh_5JmL0": "finalize",
    "https://127.0.0.1:14000/certZ/5a2b09f9c3f1": "certificate",
    "https://127.0.0.1:14000/draft-ietf-acme-ari-03/renewalInfo/aYhba4dGQ.BJXx": "renewal-info",
    "https://127.0.0.1:14000/rollover-account-key": "key-change",
}
OTHER_CAS = {
    "https://acme.zerossl.com/v2/DV90/newNonce": "new-nonce",
    "https://acme.zerossl.com/v2/DV90/newAccount": "new-account",
    "https://acme.zerossl.com/v2/DV90/order/mJ2rX9/finalize": "finalize",
    "https://acme.zerossl.com/v2/DV90/chall/Zx81": "challenge",
    "https://ca.internal/acme/certs/directory": "directory",
    "https://ca.internal/acme/certs/account/kW1": "account",
    "https://ca.internal/acme/certs/challenge/q1/h2": "challenge",
    "https://ca.internal/acme/certs/certificate/7f": "certificate",
    "https://ca.internal/something/else": "other",
}


@pytest.mark.parametrize(("url", "kind"), [*LETS_ENCRYPT.items(), *PEBBLE.items(), *OTHER_CAS.items()])
def test_a_url_names_its_resource_kind_by_its_shape(directories: None, url: str, kind: str) -> None:
    assert acme_paths.path_kind(url) == kind


def test_the_urls_a_directory_lists_are_known_exactly_once_it_was_fetched(directories: None) -> None:
    # Pebble's names for these three say nothing of what they are.
    base = "https://127.0.0.1:14000"
    listed = {
        "newNonce": f"{base}/nonce-plz",
        "newAccount": f"{base}/sign-me-up",
        "newOrder": f"{base}/order-plz",
        "renewalInfo": f"{base}/draft-ietf-acme-ari-03/renewalInfo",
        "meta": {"termsOfService": "data:text/plain,Do%20what%20thou%20wilt"},
    }
    assert acme_paths.path_kind(f"{base}/sign-me-up") == "other"
    assert acme_paths.path_kind(f"{base}/order-plz") == "order"
    acme_paths.learn_directory(f"{base}/dir", listed)
    assert acme_paths.path_kind(f"{base}/nonce-plz") == "new-nonce"
    assert acme_paths.path_kind(f"{base}/sign-me-up") == "new-account"
    assert acme_paths.path_kind(f"{base}/order-plz") == "new-order"
    assert acme_paths.path_kind(f"{base}/draft-ietf-acme-ari-03/renewalInfo/aYhba.BJXx") == "renewal-info"
    assert acme_paths.path_kind(f"{base}/my-order/kP2cXh") == "order"


def test_a_path_kind_never_holds_an_id(directories: None) -> None:
    kinds = {acme_paths.path_kind(url) for url in [*LETS_ENCRYPT, *PEBBLE, *OTHER_CAS]}
    allowed = {*acme_paths.DIRECTORY_KINDS.values(), "directory", "order", "authz", "challenge"}
    assert kinds <= allowed | {"finalize", "certificate", "account", "other"}


# Certificates


def test_each_certificate_family_has_cert_managers_labels() -> None:
    store = CertificateMetrics()
    observe(store)
    scrape = certificate_scrape(store)
    for family in (
        "evercert_certificate_expiration_timestamp_seconds",
        "evercert_certificate_renewal_timestamp_seconds",
        "evercert_certificate_not_before_timestamp_seconds",
        "evercert_certificate_issuing",
    ):
        (sample,) = samples(scrape, family)
        assert sample.labels == {
            "name": "shop",
            "namespace": "team",
            "issuer_name": "letsencrypt-production",
            "issuer_kind": "ClusterIssuer",
            "issuer_group": "evercert.dev",
        }
    ready = samples(scrape, "evercert_certificate_ready_status")
    assert {frozenset(s.labels) for s in ready} == {frozenset(CERTIFICATE_LABELS | {"condition"})}


def test_the_times_are_unix_seconds() -> None:
    store = CertificateMetrics()
    observe(store)
    scrape = certificate_scrape(store)
    assert (
        samples(scrape, "evercert_certificate_expiration_timestamp_seconds")[0].value == NOT_AFTER.timestamp()
    )
    assert samples(scrape, "evercert_certificate_renewal_timestamp_seconds")[0].value == RENEWAL.timestamp()
    assert (
        samples(scrape, "evercert_certificate_not_before_timestamp_seconds")[0].value
        == NOT_BEFORE.timestamp()
    )


@pytest.mark.parametrize(("ready", "condition"), [(True, "True"), (False, "False"), (None, "Unknown")])
def test_ready_status_is_one_for_the_conditions_status_and_zero_for_the_others(
    ready: bool | None, condition: str
) -> None:
    store = CertificateMetrics()
    observe(store, ready=ready)
    values = {
        s.labels["condition"]: s.value
        for s in samples(certificate_scrape(store), "evercert_certificate_ready_status")
    }
    assert values == {c: (1.0 if c == condition else 0.0) for c in ("True", "False", "Unknown")}


def test_a_certificate_not_issued_yet_has_no_time_series_but_its_ready_status() -> None:
    store = CertificateMetrics()
    observe(store, not_before=None, not_after=None, renewal_time=None, ready=False, issuing=True)
    scrape = certificate_scrape(store)
    assert samples(scrape, "evercert_certificate_expiration_timestamp_seconds") == []
    assert samples(scrape, "evercert_certificate_renewal_timestamp_seconds") == []
    assert len(samples(scrape, "evercert_certificate_ready_status")) == 3
    assert samples(scrape, "evercert_certificate_issuing")[0].value == 1.0


def test_a_forgotten_certificate_disappears_and_the_others_stay() -> None:
    store = CertificateMetrics()
    observe(store, "shop")
    observe(store, "blog")
    store.forget("team", "shop")
    store.forget("team", "never-seen")
    scrape = certificate_scrape(store)
    for family in ("evercert_certificate_expiration_timestamp_seconds", "evercert_certificate_ready_status"):
        assert {s.labels["name"] for s in samples(scrape, family)} == {"blog"}


def test_a_new_observation_replaces_the_old_series_even_with_another_issuer() -> None:
    store = CertificateMetrics()
    observe(store, issuer_name="letsencrypt-staging")
    observe(store, issuer_name="letsencrypt-production", not_after=NOT_AFTER + datetime.timedelta(days=90))
    (sample,) = samples(certificate_scrape(store), "evercert_certificate_expiration_timestamp_seconds")
    assert sample.labels["issuer_name"] == "letsencrypt-production"
    assert sample.value == (NOT_AFTER + datetime.timedelta(days=90)).timestamp()


def test_label_values_are_escaped() -> None:
    store = CertificateMetrics()
    observe(store, issuer_name='odd "name"\\ with\nnewline')
    (sample,) = samples(certificate_scrape(store), "evercert_certificate_issuing")
    assert sample.labels["issuer_name"] == 'odd "name"\\ with\nnewline'


# ACME requests


def test_acme_requests_are_counted_and_timed_by_scheme_host_path_kind_method_and_status(
    directories: None,
) -> None:
    requests = AcmeRequestMetrics()
    order = "https://ca.example/acme/order/1/2"
    requests.observe("post", order, 200, 0.2)
    requests.observe("POST", "https://ca.example/acme/order/3/4", 200, 0.7)
    requests.observe("HEAD", "https://ca.example/acme/new-nonce", None, 30.0)
    scrape = requests.exposition().decode()
    counts = {
        (s.labels["path"], s.labels["method"], s.labels["status"]): s.value
        for s in samples(scrape, "evercert_http_acme_client_request_count")
    }
    assert counts == {("order", "POST", "200"): 2.0, ("new-nonce", "HEAD", "999"): 1.0}
    (labels,) = {
        frozenset(s.labels.items())
        for s in samples(scrape, "evercert_http_acme_client_request_count")
        if s.labels["path"] == "order"
    }
    assert dict(labels) == {
        "scheme": "https",
        "host": "ca.example",
        "path": "order",
        "method": "POST",
        "status": "200",
    }
    duration = [
        s
        for s in samples(scrape, "evercert_http_acme_client_request_duration_seconds")
        if s.labels["path"] == "order"
    ]
    by_name = {(s.name, s.labels.get("le")): s.value for s in duration}
    assert by_name["evercert_http_acme_client_request_duration_seconds_count", None] == 2
    assert by_name["evercert_http_acme_client_request_duration_seconds_sum", None] == pytest.approx(0.9)
    assert by_name["evercert_http_acme_client_request_duration_seconds_bucket", "0.25"] == 1
    assert by_name["evercert_http_acme_client_request_duration_seconds_bucket", "1.0"] == 2
    assert by_name["evercert_http_acme_client_request_duration_seconds_bucket", "+Inf"] == 2


def test_the_request_count_keeps_cert_managers_exact_name() -> None:
    requests = AcmeRequestMetrics()
    requests.observe("GET", "https://ca.example/directory", 200, 0.1)
    lines = requests.exposition().decode().splitlines()
    assert any(line.startswith("evercert_http_acme_client_request_count{") for line in lines)
    assert not any("request_count_total" in line for line in lines)


def test_answers_429_are_counted_as_rate_limited_by_host() -> None:
    requests = AcmeRequestMetrics()
    requests.observe("POST", "https://ca.example/acme/new-order", 429, 0.1)
    requests.observe("POST", "https://ca.example/acme/new-order", 429, 0.1)
    requests.observe("POST", "https://ca.example/acme/new-order", 503, 0.1)
    requests.observe("POST", "https://other.example/acme/new-order", 201, 0.1)
    limited = samples(requests.exposition(), "evercert_acme_rate_limited")
    assert [(s.name, s.labels, s.value) for s in limited] == [
        ("evercert_acme_rate_limited_total", {"host": "ca.example"}, 2.0),
        # Zero from the first request on: Prometheus sees the first 429 as an increase.
        ("evercert_acme_rate_limited_total", {"host": "other.example"}, 0.0),
    ]


class _Answers(http.server.BaseHTTPRequestHandler):
    """Answers 429 to /acme/new-order, 200 to anything else."""

    def do_HEAD(self) -> None:
        self.send_response(429 if self.path.endswith("/new-order") else 200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def answering_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def _count(scrape: bytes, family: str, **labels: str) -> float:
    return sum(s.value for s in samples(scrape, family) if labels.items() <= s.labels.items())


def test_the_acme_network_reports_each_http_request(answering_server: str, directories: None) -> None:
    host = answering_server.removeprefix("http://")
    net = Network(f"{answering_server}/dir", user_agent="evercert-test", timeout=5)
    net.head(f"{answering_server}/acme/new-order")
    net.head(f"{answering_server}/acme/authz/1")
    scrape = metrics.render()
    family = "evercert_http_acme_client_request_count"
    assert _count(scrape, family, host=host, path="new-order", method="HEAD", status="429") == 1
    assert _count(scrape, family, host=host, path="authz", method="HEAD", status="200") == 1
    assert _count(scrape, "evercert_acme_rate_limited", host=host) == 1


def test_a_request_that_gets_no_answer_is_counted_as_999() -> None:
    with http.server.HTTPServer(("127.0.0.1", 0), _Answers) as closed:
        port = closed.server_port  # nothing listens there once closed
    net = Network(f"http://127.0.0.1:{port}/dir", user_agent="evercert-test", timeout=5)
    with pytest.raises(Exception):  # noqa: B017  requests' ConnectionError
        net.head(f"http://127.0.0.1:{port}/acme/new-nonce")
    scrape = metrics.render()
    assert (
        _count(scrape, "evercert_http_acme_client_request_count", host=f"127.0.0.1:{port}", status="999") == 1
    )


# The whole scrape and the endpoint


def test_a_scrape_of_everything_parses_with_every_family_named_as_documented() -> None:
    metrics.observe_certificate(
        "scrape-test", "web", "Issuer", "team-ca", NOT_BEFORE, NOT_AFTER, RENEWAL, ready=False
    )
    metrics.observe_acme_request("POST", "https://scrape.example/acme/new-order", 201, 0.3)
    metrics.observe_issuance(success=False, reason="ACMEValidationFailed")
    metrics.set_scheduler(queue_depth=7, in_flight=2)
    try:
        families = {f.name: f for f in text_string_to_metric_families(metrics.render().decode())}
    finally:
        metrics.forget_certificate("scrape-test", "web")
    assert {
        "evercert_certificate_expiration_timestamp_seconds": "gauge",
        "evercert_certificate_renewal_timestamp_seconds": "gauge",
        "evercert_certificate_not_before_timestamp_seconds": "gauge",
        "evercert_certificate_ready_status": "gauge",
        "evercert_certificate_issuing": "gauge",
        "evercert_http_acme_client_request_count": "unknown",
        "evercert_http_acme_client_request_duration_seconds": "histogram",
        "evercert_acme_rate_limited": "counter",
        "evercert_issuances": "counter",
        "evercert_scheduler_queue_depth": "gauge",
        "evercert_scheduler_in_flight": "gauge",
        "process_resident_memory_bytes": "gauge",
        "process_cpu_seconds": "counter",
    }.items() <= {name: f.type for name, f in families.items()}.items()
    (web,) = [
        s
        for s in families["evercert_certificate_expiration_timestamp_seconds"].samples
        if s.labels["namespace"] == "scrape-test"
    ]
    assert web.labels["issuer_kind"] == "Issuer" and web.labels["issuer_group"] == "evercert.dev"
    failures = [
        s
        for s in families["evercert_issuances"].samples
        if s.labels == {"result": "failure", "reason": "ACMEValidationFailed"}
    ]
    assert failures[0].name == "evercert_issuances_total" and failures[0].value >= 1
    assert families["evercert_scheduler_queue_depth"].samples[0].value == 7
    assert families["evercert_scheduler_in_flight"].samples[0].value == 2
    assert not [f for f in families if f.endswith("_created")]
    assert "scrape-test" not in metrics.render().decode()


def test_the_endpoint_serves_the_scrape_over_http_and_stops() -> None:
    assert metrics.start_server(0) is None
    port = metrics.start_server(_free_port(), address="127.0.0.1")
    assert port is not None
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            body = response.read()
        assert samples(body, "process_resident_memory_bytes")[0].value > 0
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/other", timeout=5)
        assert missing.value.code == 404
    finally:
        metrics.stop_server()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5)


def _free_port() -> int:
    with http.server.HTTPServer(("127.0.0.1", 0), _Answers) as probe:
        return int(probe.server_port)


def test_a_port_already_taken_is_logged_and_the_operator_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    with http.server.HTTPServer(("127.0.0.1", 0), _Answers) as taken:
        assert metrics.start_server(taken.server_port, address="127.0.0.1") is None
    assert "metrics not served" in caplog.text
