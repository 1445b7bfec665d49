"""The command line: its parsing, kubectl's naming, the kubeconfig it reads, how API errors read."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from kubernetes_asyncio.client.exceptions import ApiException

from evercert.cli import build_parser, kubectl_main, main
from evercert.cli.cluster import api_error_text, connect


def kubeconfig(path: Path, namespace: str | None) -> Path:
    context = {"cluster": "local", "user": "admin", **({"namespace": namespace} if namespace else {})}
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "local", "cluster": {"server": "https://127.0.0.1:6443"}}],
                "users": [{"name": "admin", "user": {"token": "t"}}],
                "contexts": [
                    {"name": "main", "context": context},
                    {"name": "bare", "context": {"cluster": "local", "user": "admin"}},
                ],
                "current-context": "main",
            }
        )
    )
    return path


async def namespace_of(*args: str | None) -> str:
    kube, namespace = await connect(*args)  # type: ignore[arg-type]
    await kube.close()
    return namespace


async def test_the_namespace_comes_from_the_flag_then_the_context_then_default(tmp_path: Path) -> None:
    path = str(kubeconfig(tmp_path / "config", "shop"))
    assert await namespace_of(path, None, None) == "shop"
    assert await namespace_of(path, None, "web") == "web"
    assert await namespace_of(path, "bare", None) == "default"


async def test_the_server_comes_from_the_chosen_kubeconfig(tmp_path: Path) -> None:
    kube, _ = await connect(str(kubeconfig(tmp_path / "config", None)), None, None)
    try:
        assert kube.api.configuration.host == "https://127.0.0.1:6443"
    finally:
        await kube.close()


def test_renew_takes_a_name_or_all_but_not_both(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    assert parser.parse_args(["renew", "www", "-n", "web"]).name == "www"
    assert parser.parse_args(["renew", "--all", "-A"]).all_namespaces
    for wrong in (["renew"], ["renew", "www", "--all"]):
        with pytest.raises(SystemExit) as exited:
            parser.parse_args(wrong)
        assert exited.value.code == 2


def test_renew_across_namespaces_needs_all(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["renew", "www", "-A"])
    assert exited.value.code == 2
    assert "-A needs --all" in capsys.readouterr().err


def test_namespace_and_all_namespaces_exclude_each_other() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["status", "-n", "web", "-A"])


def test_check_reads_go_durations_and_days() -> None:
    parser = build_parser()
    assert parser.parse_args(["check", "--expires-within", "336h"]).expires_within.days == 14
    assert parser.parse_args(["check", "--expires-within", "14d"]).expires_within.days == 14
    assert parser.parse_args(["check"]).expires_within.days == 14


def test_the_kubectl_plugin_names_itself_as_kubectl_shows_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.argv", ["kubectl-evercert", "--help"])
    with pytest.raises(SystemExit) as exited:
        kubectl_main()
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("usage: kubectl evercert")


def test_the_entry_points_are_declared() -> None:
    import tomllib

    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    assert pyproject["project"]["scripts"] == {
        "evercert": "evercert.cli:main",
        "kubectl-evercert": "evercert.cli:kubectl_main",
    }


def test_solve_gets_its_arguments_untouched(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr("evercert.solver.server.run_from_args", lambda argv: seen.append(argv) or 0)
    assert main(["solve", "--token", "t", "--key-authorization", "k"]) == 0
    assert seen == [["--token", "t", "--key-authorization", "k"]]


def test_api_errors_read_as_kubectl_prints_them() -> None:
    error = ApiException(status=403, reason="Forbidden")
    error.body = '{"kind":"Status","reason":"Forbidden","message":"certificates is forbidden: no"}'
    assert api_error_text(error) == "Error from server (Forbidden): certificates is forbidden: no"
    bare = ApiException(status=503, reason="Service Unavailable")
    assert api_error_text(bare) == "Error from server (Service Unavailable): status 503"
