"""The image `make image` builds (buildah, Debian packages, PyPI): what the Dockerfile declares, and
both entry points working inside it: `evercert solve` answers its token, `evercert run` issues."""

from __future__ import annotations

import json
import re
import shlex
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator

import pytest

from evercert.solver.pod import SOLVER_UID
from evercert_devenv.binaries import REPO
from evercert_devenv.environment import LocalEnvironment
from evercert_devenv.processes import Server, free_port

from ..integration.helpers import assert_valid_tls_secret, certificate, solver_objects, wait_ready
from ..support.chart import ChartOperator, chart_settings, wait_issuer_ready
from ..support.containers import BuiltImage, build_image, inspect, mounted, remove, run_argv, sbom_path
from ..support.waiting import wait_for

MAX_SIZE = 150_000_000
KUBECONFIG_IN_CONTAINER = "/var/run/evercert/kubeconfig"


def dockerfile_final_stage() -> list[tuple[str, str]]:
    """(instruction, arguments) of the Dockerfile's last stage, continuation lines joined."""
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    final = text.rsplit("\nFROM ", 1)[1]
    lines = [line.strip() for line in final.splitlines()[1:] if line.strip() and not line.startswith("#")]
    return [(line.split(None, 1)[0], line.split(None, 1)[1]) for line in lines]


def declared(instruction: str) -> list[str]:
    return [args for name, args in dockerfile_final_stage() if name == instruction]


def pairs(instruction: str) -> dict[str, str]:
    """The key=value pairs of every LABEL or ENV instruction."""
    words = [word for args in declared(instruction) for word in shlex.split(args)]
    return dict(word.split("=", 1) for word in words)


@pytest.fixture(scope="module")
def image() -> BuiltImage:
    built = build_image()
    print(f"\n[image] {built.name} ready in {built.seconds:.1f} s\n{built.output.strip()}")
    return built


def test_the_image_config_is_what_the_dockerfile_declares(image: BuiltImage) -> None:
    config = inspect(image.name)["Config"]
    (entrypoint,) = declared("ENTRYPOINT")
    (cmd,) = declared("CMD")
    (user,) = declared("USER")
    assert config["Entrypoint"] == json.loads(entrypoint) == ["evercert"]
    assert config["Cmd"] == json.loads(cmd) == ["run"]
    assert config["User"] == user == f"{SOLVER_UID}:{SOLVER_UID}"
    assert config.get("WorkingDir", "") == "".join(declared("WORKDIR"))
    assert sorted(config.get("ExposedPorts") or {}) == sorted(declared("EXPOSE"))
    assert pairs("LABEL").items() <= config["Labels"].items()
    assert pairs("ENV").items() <= dict(e.split("=", 1) for e in config["Env"]).items()


def test_the_image_holds_the_dockerfiles_python_and_evercert_and_no_shell(image: BuiltImage) -> None:
    base = (REPO / "Dockerfile").read_text().rsplit("\nFROM ", 1)[1].split()[0]
    python = base.split(":")[1].split("-")[0]
    assert base == "python:3.11-slim" and python == "3.11"
    assert inspect(image.name)["Size"] <= MAX_SIZE
    with mounted(image.name) as root:
        assert (root / "usr/local/bin/evercert").read_text().startswith(f"#!/usr/bin/python{python[0]}\n")
        assert (root / f"usr/bin/python{python}").is_file()
        assert (root / f"usr/local/lib/python{python}/dist-packages/evercert/cli/serve.py").is_file()
        assert f"nonroot:x:{SOLVER_UID}:{SOLVER_UID}:" in (root / "etc/passwd").read_text()
        assert (root / "etc/ssl/certs/ca-certificates.crt").stat().st_size > 100_000
        # Renewal windows name IANA time zones: with no /usr/share/zoneinfo, zoneinfo reads `tzdata`.
        assert (root / f"usr/local/lib/python{python}/dist-packages/tzdata/zoneinfo/Europe/Berlin").is_file()
        for absent in ("bin/sh", "bin/bash", "bin/dash", "usr/bin/dpkg", "usr/bin/apt-get", "root/.cache"):
            assert not (root / absent).exists(), absent
        assert not list((root / "usr/local/lib").glob("python*/dist-packages/pip"))
        assert not list((root / "usr/share").glob("man/*")) and not (root / "usr/share/locale").exists()


def test_the_sbom_beside_the_image_lists_every_locked_package(image: BuiltImage) -> None:
    sbom = json.loads(sbom_path(image).read_text())
    assert sbom["bomFormat"] == "CycloneDX" and sbom["metadata"]["component"]["name"] == "evercert"
    found = {c["purl"] for c in sbom["components"]}
    locked = set()
    for line in (REPO / "requirements.lock").read_text().splitlines():
        if match := re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", line):
            locked.add(f"pkg:pypi/{match[1].lower().replace('_', '-')}@{match[2]}")
    assert found == locked


def test_a_second_build_from_clean_caches_gives_the_same_image(image: BuiltImage) -> None:
    """Reproducible (hack/image.sh): the same inputs give the same image ID (the digest of its config,
    which names its layer's digest) and the same SBOM, though every package is downloaded again."""
    first_id, first_sbom = inspect(image.name)["Id"], sbom_path(image).read_bytes()
    again = build_image(again=True)
    print(f"\n[image] built again in {again.seconds:.1f} s: {inspect(again.name)['Id']}")
    assert inspect(again.name)["Id"] == first_id
    assert sbom_path(again).read_bytes() == first_sbom


def test_solve_answers_its_token_over_http(
    image: BuiltImage, tmp_path_factory: pytest.TempPathFactory
) -> None:
    port, token = free_port(), f"tok-{uuid.uuid4().hex}"
    name = f"evercert-solve-{uuid.uuid4().hex[:8]}"
    argv = run_argv(
        image.name,
        name,
        ["solve", f"--port={port}", "--host=app.example.org", f"--token={token}",
         f"--key-authorization={token}.thumbprint", "--bind=127.0.0.1"],
    )  # fmt: skip
    solver = Server(name, argv, tmp_path_factory.mktemp("solve") / "solve.log")
    solver.start()
    try:
        body = wait_for(lambda: fetch(port, token), 60, "the solver in its container to answer", solver)
        assert body == f"{token}.thumbprint"
        assert fetch(port, "another-token") is None
    finally:
        solver.stop()
        remove(name)


def fetch(port: int, token: str) -> str | None:
    url = f"http://127.0.0.1:{port}/.well-known/acme-challenge/{token}"
    request = urllib.request.Request(url, headers={"Host": "app.example.org"})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return str(response.read().decode())
    except (urllib.error.URLError, ConnectionError):
        return None


@pytest.fixture
def chart_operator_stopped(env: LocalEnvironment, chart_operator: ChartOperator) -> Iterator[None]:
    """Only the operator in the container may act meanwhile."""
    chart_operator.process.stop()
    yield
    chart_operator.process.start()
    wait_issuer_ready(env, chart_operator)


def test_run_issues_a_certificate_as_the_charts_service_account(
    image: BuiltImage, env: LocalEnvironment, chart_operator: ChartOperator, chart_operator_stopped: None
) -> None:
    chart = chart_settings(env, chart_operator.release, "image-operator")
    chart.kubeconfig.chmod(0o644)  # read by the image's user
    operator_env = {
        **{k: v for k, v in env.operator_env().items() if k not in ("PYTHONPATH", "KUBECONFIG")},
        **chart.env,
        "KUBECONFIG": KUBECONFIG_IN_CONTAINER,
    }
    name = f"evercert-run-{uuid.uuid4().hex[:8]}"
    argv = run_argv(image.name, name, chart.args, operator_env, {chart.kubeconfig: KUBECONFIG_IN_CONTAINER})
    operator = Server(name, argv, env.workdir / f"{name}.log")
    operator.start()
    namespace = f"img-{uuid.uuid4().hex[:8]}"
    env.controlplane.kubectl("create", "namespace", namespace)
    try:
        wait_for(lambda: liveness(chart.liveness_url), 60, "the operator in its container live", operator)
        env.apply(certificate(namespace, "web", ["image.example.org"]))
        wait_ready(env, namespace, "web", process=operator)
        assert_valid_tls_secret(env, namespace, "web-tls", ["image.example.org"])
        wait_for(lambda: not solver_objects(env, namespace), 30, "solver objects removed", operator)
        assert '"message": "starting evercert"' in operator.log_path.read_text()
    finally:
        operator.stop()
        remove(name)
        env.controlplane.kubectl("delete", "namespace", namespace, "--wait=false")


def liveness(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError):
        return False
