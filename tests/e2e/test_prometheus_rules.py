"""The chart's alerts, as `helm template` renders them, checked and unit-tested by the real promtool.

Each alert has series that make it fire and series that must not. Time in `promtool test rules` starts
at the Unix epoch; the certificates here live a few hours so the timelines stay short.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from evercert_devenv.binaries import binary

from ..support.chart import RELEASE_NAMESPACE, template

JOB = "evercert-metrics"  # the metrics Service's name, the job a ServiceMonitor gives its series
CERT = {
    "name": "shop",
    "namespace": "team",
    "issuer_name": "letsencrypt-production",
    "issuer_kind": "ClusterIssuer",
    "issuer_group": "evercert.dev",
}
OTHER_CERT = {**CERT, "name": "blog"}
HOUR = 3600


def rendered_rules(*sets: str) -> dict[str, Any]:
    """The PrometheusRule's spec (a Prometheus rule file) as the chart renders it."""
    (rule,) = [o for o in template("prometheus.rules.enabled=true", *sets) if o["kind"] == "PrometheusRule"]
    return dict(rule["spec"])


@pytest.fixture(scope="module")
def rules_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rules") / "evercert-rules.yaml"
    path.write_text(yaml.safe_dump(rendered_rules()))
    return path


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([binary("promtool"), *args], capture_output=True, text=True)


def series(metric: str, labels: dict[str, str], values: str) -> dict[str, str]:
    text = ",".join(f'{key}="{value}"' for key, value in labels.items())
    return {"series": f"{metric}{{{text}}}", "values": values}


def expect(alert: str, at: str, *alerts: dict[str, Any]) -> dict[str, Any]:
    return {"eval_time": at, "alertname": alert, "exp_alerts": list(alerts)}


def firing(labels: dict[str, str], severity: str, summary: str, description: str) -> dict[str, Any]:
    return {
        "exp_labels": {**labels, "severity": severity},
        "exp_annotations": {"summary": summary, "description": description},
    }


def run_rule_tests(rules_file: Path, groups: list[dict[str, Any]]) -> None:
    tests = rules_file.parent / f"tests-{len(list(rules_file.parent.iterdir()))}.yaml"
    tests.write_text(
        yaml.safe_dump({"rule_files": [rules_file.name], "evaluation_interval": "1m", "tests": groups})
    )
    result = promtool("test", "rules", str(tests))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_finds_the_rules_valid(rules_file: Path) -> None:
    result = promtool("check", "rules", str(rules_file))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 7 rules found" in result.stdout


def test_no_operator_down_alert_when_the_chart_stops_the_operator() -> None:
    alerts = [r["alert"] for g in rendered_rules("replicaCount=0")["groups"] for r in g["rules"]]
    assert "EvercertOperatorDown" not in alerts and len(alerts) == 6


def test_a_certificate_expiring_soon_without_a_renewal_running_alerts(rules_file: Path) -> None:
    # Renewal due at 2 h, expiry at 3 h: "soon" is the last third of that hour, from 2h40m on.
    times = {"renewal": "7200+0x200", "expiration": "10800+0x200"}
    stuck = [
        series("evercert_certificate_renewal_timestamp_seconds", CERT, times["renewal"]),
        series("evercert_certificate_expiration_timestamp_seconds", CERT, times["expiration"]),
        series("evercert_certificate_issuing", CERT, "0x200"),
    ]
    renewing = [
        series("evercert_certificate_renewal_timestamp_seconds", OTHER_CERT, times["renewal"]),
        series("evercert_certificate_expiration_timestamp_seconds", OTHER_CERT, times["expiration"]),
        series("evercert_certificate_issuing", OTHER_CERT, "1x200"),
    ]
    alert = "EvercertCertificateExpiringSoon"
    run_rule_tests(
        rules_file,
        [
            {
                "interval": "1m",
                "input_series": stuck + renewing,
                "alert_rule_test": [
                    expect(alert, "2h30m"),
                    expect(alert, "2h50m"),  # soon for 10 minutes: still pending
                    expect(
                        alert,
                        "2h58m",
                        firing(
                            CERT,
                            "critical",
                            "Certificate team/shop expires in 2m 0s and is not being renewed",
                            "Its renewal time passed long ago. "
                            "See kubectl describe certificate -n team shop.",
                        ),
                    ),
                ],
            }
        ],
    )


def test_a_certificate_an_hour_past_its_renewal_time_alerts(rules_file: Path) -> None:
    alert = "EvercertCertificateRenewalOverdue"
    run_rule_tests(
        rules_file,
        [
            {
                "interval": "1m",
                "input_series": [
                    series("evercert_certificate_renewal_timestamp_seconds", CERT, "3600+0x200"),
                    # Renewed at 1h30m: its next renewal time is far ahead.
                    series(
                        "evercert_certificate_renewal_timestamp_seconds", OTHER_CERT, "3600+0x89 90000+0x110"
                    ),
                ],
                "alert_rule_test": [
                    expect(alert, "2h3m"),  # overdue for 3 minutes: pending
                    expect(
                        alert,
                        "2h10m",
                        firing(
                            CERT,
                            "warning",
                            "Certificate team/shop is 1h 10m 0s past its renewal time",
                            "Renewal keeps failing or has not started. "
                            "See kubectl describe certificate -n team shop.",
                        ),
                    ),
                ],
            }
        ],
    )


def test_a_certificate_not_ready_for_an_hour_alerts(rules_file: Path) -> None:
    alert = "EvercertCertificateNotReady"
    ready = "evercert_certificate_ready_status"
    run_rule_tests(
        rules_file,
        [
            {
                "interval": "1m",
                "input_series": [
                    series(ready, {**CERT, "condition": "False"}, "1x90"),
                    series(ready, {**CERT, "condition": "True"}, "0x90"),
                    series(ready, {**CERT, "condition": "Unknown"}, "0x90"),
                    # Not Ready for 40 minutes, then Ready.
                    series(ready, {**OTHER_CERT, "condition": "False"}, "1x40 0x50"),
                    series(ready, {**OTHER_CERT, "condition": "True"}, "0x40 1x50"),
                    series(ready, {**OTHER_CERT, "condition": "Unknown"}, "0x90"),
                ],
                "alert_rule_test": [
                    expect(alert, "59m"),
                    expect(
                        alert,
                        "61m",
                        firing(
                            {**CERT, "condition": "False"},
                            "warning",
                            "Certificate team/shop has not been Ready for an hour",
                            "Its Ready condition is False. See kubectl describe certificate -n team shop.",
                        ),
                    ),
                ],
            }
        ],
    )


def test_rate_limited_answers_alert_for_an_hour(rules_file: Path) -> None:
    alert = "EvercertACMERateLimited"
    limited = "evercert_acme_rate_limited_total"
    run_rule_tests(
        rules_file,
        [
            {
                "interval": "1m",
                "input_series": [
                    series(limited, {"host": "acme.example"}, "0x30 1x120"),  # one 429 at 31m
                    series(limited, {"host": "quiet.example"}, "0x150"),
                ],
                "alert_rule_test": [
                    expect(alert, "30m"),
                    expect(
                        alert,
                        "35m",
                        firing(
                            {"host": "acme.example"},
                            "warning",
                            "The ACME server acme.example refused requests for a rate limit in the last hour",
                            "Issuances wait until the limit lifts (Retry-After is honoured); "
                            "many new names at once, or failures retried, cause it.",
                        ),
                    ),
                    expect(alert, "2h"),  # the hour has passed
                ],
            }
        ],
    )


def test_an_acme_server_failing_a_quarter_of_the_requests_alerts(rules_file: Path) -> None:
    alert = "EvercertACMEServerFailing"
    count = "evercert_http_acme_client_request_count"
    request = {"scheme": "https", "path": "new-order", "method": "POST"}
    run_rule_tests(
        rules_file,
        [
            {
                "interval": "1m",
                "input_series": [
                    # 10 answered and 5 failed requests a minute: a third fail.
                    series(count, {**request, "host": "down.example", "status": "201"}, "0+10x60"),
                    series(count, {**request, "host": "down.example", "status": "503"}, "0+3x60"),
                    series(count, {**request, "host": "down.example", "status": "999"}, "0+2x60"),
                    # 1 in 11 failing: no alert.
                    series(count, {**request, "host": "up.example", "status": "201"}, "0+10x60"),
                    series(count, {**request, "host": "up.example", "status": "500"}, "0+1x60"),
                    # Client errors (4xx) are not the server failing.
                    series(count, {**request, "host": "picky.example", "status": "400"}, "0+10x60"),
                    series(count, {**request, "host": "picky.example", "status": "201"}, "0+1x60"),
                ],
                "alert_rule_test": [
                    expect(alert, "10m"),
                    expect(
                        alert,
                        "40m",
                        firing(
                            {"host": "down.example"},
                            "warning",
                            "The ACME server down.example fails 33.33% of evercert's requests",
                            "It answers with server errors or not at all; check the CA's status page and the "
                            "network.",
                        ),
                    ),
                ],
            }
        ],
    )


def test_issuances_failing_with_none_succeeding_alert(rules_file: Path) -> None:
    alert = "EvercertIssuancesFailing"
    issuances = "evercert_issuances_total"
    failing = series(issuances, {"result": "failure", "reason": "ACMEValidationFailed"}, "0+1x90")
    run_rule_tests(
        rules_file,
        [
            {
                "interval": "1m",
                "input_series": [failing],
                "alert_rule_test": [
                    expect(alert, "5m"),
                    expect(
                        alert,
                        "70m",
                        firing(
                            {"reason": "ACMEValidationFailed"},
                            "warning",
                            "Certificate issuances fail (ACMEValidationFailed) "
                            "and none succeeded in the last hour",
                            "60 failures in the last hour. "
                            "See kubectl get events -A --field-selector reason=ACMEValidationFailed.",
                        ),
                    ),
                ],
            },
            {
                "interval": "1m",
                "input_series": [
                    failing,
                    # One issuance succeeded at 50m: some work, so this is no CA-wide failure.
                    series(issuances, {"result": "success", "reason": "Renewing"}, "0x50 1x40"),
                ],
                "alert_rule_test": [expect(alert, "70m")],
            },
        ],
    )


def test_the_operator_down_or_never_scraped_alerts(rules_file: Path) -> None:
    alert = "EvercertOperatorDown"
    operator = {"job": JOB, "namespace": RELEASE_NAMESPACE}
    fired = firing(
        {"namespace": RELEASE_NAMESPACE},
        "critical",
        "evercert's operator has not been scraped for 10 minutes",
        f"Certificates are not renewed while it is down. See kubectl get pods -n {RELEASE_NAMESPACE}.",
    )
    run_rule_tests(
        rules_file,
        [
            {
                "interval": "1m",
                "input_series": [
                    series("up", {**operator, "instance": "10.0.0.7:9402"}, "1x20 0x40"),
                    series("up", {"job": "other", "namespace": RELEASE_NAMESPACE, "instance": "a:1"}, "1x60"),
                ],
                "alert_rule_test": [expect(alert, "20m"), expect(alert, "28m"), expect(alert, "35m", fired)],
            },
            {
                "interval": "1m",
                "input_series": [series("up", {"job": "other", "instance": "a:1"}, "1x60")],
                "alert_rule_test": [expect(alert, "15m", fired)],
            },
            {
                "interval": "1m",
                "input_series": [series("up", {**operator, "instance": "10.0.0.7:9402"}, "1x60")],
                "alert_rule_test": [expect(alert, "50m")],
            },
        ],
    )
