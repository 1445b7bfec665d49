"""The metrics as installed by the chart: port, env and Service agree, and a real Prometheus, built from
its Go module, scrapes the operator running under the chart's settings and loads the chart's alerts."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from evercert.settings import Settings
from evercert_devenv.binaries import binary
from evercert_devenv.environment import LocalEnvironment
from evercert_devenv.processes import Server, free_port, http_ok, wait_until

from ..support.chart import RELEASE_NAMESPACE, ChartOperator, container_port, template
from ..support.waiting import wait_for
from .test_prometheus_rules import rendered_rules

JOB = "evercert-metrics"


def only(objects: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    (found,) = [o for o in objects if o["kind"] == kind]
    return found


def operator_container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    (container,) = only(objects, "Deployment")["spec"]["template"]["spec"]["containers"]
    return dict(container)


def test_the_metrics_port_the_operator_reads_is_the_containers_and_the_services(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    objects = template("metrics.port=9500", "prometheus.serviceMonitor.enabled=true")
    container = operator_container(objects)
    for variable in container["env"]:
        if "value" in variable:  # not the downward API's
            monkeypatch.setenv(variable["name"], variable["value"])
    assert Settings.from_env().metrics_port == container_port(container, "metrics") == 9500
    service = only(objects, "Service")
    assert service["metadata"]["name"] == JOB
    assert service["spec"]["ports"] == [
        {"name": "metrics", "port": 9500, "targetPort": "metrics", "protocol": "TCP"}
    ]
    pod_labels = only(objects, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    monitor = only(objects, "ServiceMonitor")
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
    assert monitor["spec"]["endpoints"][0]["honorLabels"] is True
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [RELEASE_NAMESPACE]}


def test_without_metrics_there_is_no_endpoint_no_service_and_no_monitor() -> None:
    objects = template("metrics.enabled=false")
    container = operator_container(objects)
    assert {e["name"]: e.get("value") for e in container["env"]}["EVERCERT_METRICS_PORT"] == "0"
    assert [p["name"] for p in container["ports"]] == ["healthz"]
    assert not [o for o in objects if o["kind"] in ("Service", "ServiceMonitor", "PrometheusRule")]


def test_a_service_monitor_needs_the_metrics() -> None:
    with pytest.raises(AssertionError, match=r"prometheus\.serviceMonitor\.enabled needs metrics\.enabled"):
        template("metrics.enabled=false", "prometheus.serviceMonitor.enabled=true")


def test_the_monitoring_objects_carry_the_labels_prometheus_selects_by() -> None:
    objects = template(
        "prometheus.serviceMonitor.enabled=true",
        "prometheus.serviceMonitor.labels.release=monitoring",
        "prometheus.rules.enabled=true",
        "prometheus.rules.labels.role=alert-rules",
    )
    assert only(objects, "ServiceMonitor")["metadata"]["labels"]["release"] == "monitoring"
    assert only(objects, "PrometheusRule")["metadata"]["labels"]["role"] == "alert-rules"


def test_the_operator_down_alert_follows_another_scrape_setup() -> None:
    rules = rendered_rules('prometheus.rules.operatorSelector=job="kubernetes-pods"\\,app="evercert"')
    (down,) = [r for g in rules["groups"] for r in g["rules"] if r["alert"] == "EvercertOperatorDown"]
    assert down["expr"] == 'absent(up{job="kubernetes-pods",app="evercert"} == 1)'


def scrape(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return {f.name: f for f in text_string_to_metric_families(response.read().decode())}


def test_the_operator_serves_its_metrics_on_the_charts_port_setting(chart_operator: ChartOperator) -> None:
    families = scrape(chart_operator.metrics_url)
    assert families["process_resident_memory_bytes"].samples[0].value > 0
    # Registering the ClusterIssuer's account went through the counted network.
    accounts = [
        s
        for s in families["evercert_http_acme_client_request_count"].samples
        if s.labels["path"] == "new-account"
    ]
    # 201: created, 200: found (an earlier test of the session registered the key); Pebble also rejects
    # some nonces (400 badNonce), and those requests are sent again.
    assert {"200", "201"} & {s.labels["status"] for s in accounts}


@pytest.fixture
def prometheus(chart_operator: ChartOperator, tmp_path: Path) -> Iterator[str]:
    """A real Prometheus scraping the operator every second, as the ServiceMonitor's job, with the rules."""
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rendered_rules()))
    target = urllib.parse.urlsplit(chart_operator.metrics_url).netloc
    config = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "rule_files": ["rules.yaml"],
        "scrape_configs": [
            {
                "job_name": JOB,
                "honor_labels": True,
                "static_configs": [{"targets": [target], "labels": {"namespace": RELEASE_NAMESPACE}}],
            }
        ],
    }
    (tmp_path / "prometheus.yaml").write_text(yaml.safe_dump(config))
    url = f"http://127.0.0.1:{free_port()}"
    server = Server(
        "prometheus",
        [
            binary("prometheus"),
            f"--config.file={tmp_path / 'prometheus.yaml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address={url.removeprefix('http://')}",
        ],
        tmp_path / "prometheus.log",
    )
    server.start()
    try:
        wait_until(lambda: http_ok(f"{url}/-/ready"), server, 60)
        yield url
    finally:
        server.stop()


def api(prometheus: str, path: str, **query: str) -> Any:
    with urllib.request.urlopen(
        f"{prometheus}/api/v1/{path}?{urllib.parse.urlencode(query)}", timeout=10
    ) as r:
        answer = json.load(r)
    assert answer["status"] == "success", answer
    return answer["data"]


def test_a_real_prometheus_scrapes_the_operator_and_loads_the_alerts(
    env: LocalEnvironment, chart_operator: ChartOperator, prometheus: str
) -> None:
    def up() -> bool:
        result = api(prometheus, "query", query=f'up{{job="{JOB}",namespace="{RELEASE_NAMESPACE}"}}')[
            "result"
        ]
        return bool(result) and result[0]["value"][1] == "1"

    wait_for(up, 60, "Prometheus scraping the operator", chart_operator.process)
    accounts = api(
        prometheus,
        "query",
        query='evercert_http_acme_client_request_count{path="new-account",status=~"20[01]"}',
    )
    (series,) = {tuple(sorted(r["metric"])) for r in accounts["result"]}
    assert series == (
        "__name__",
        "host",
        "instance",
        "job",
        "method",
        "namespace",
        "path",
        "scheme",
        "status",
    )
    assert accounts["result"][0]["metric"]["host"] == urllib.parse.urlsplit(env.pebble.directory_url).netloc
    limited = api(prometheus, "query", query="evercert_acme_rate_limited_total")["result"]
    assert limited and all(r["value"][1] == "0" for r in limited)
    (group,) = api(prometheus, "rules")["groups"]
    assert group["name"] == "evercert" and len(group["rules"]) == 7
    assert {r["health"] for r in group["rules"]} == {"ok"}, [r.get("lastError") for r in group["rules"]]

    def operator_down_state() -> str:
        (rules,) = [g["rules"] for g in api(prometheus, "rules")["groups"]]
        return str(next(r["state"] for r in rules if r["name"] == "EvercertOperatorDown"))

    # Pending when the rules were evaluated before the first scrape; inactive from the next evaluation.
    wait_for(lambda: operator_down_state() == "inactive", 30, "EvercertOperatorDown inactive")
