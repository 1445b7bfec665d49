"""`python -m evercert_devenv up|down|demo`: the local environment for people (the tests use fixtures)."""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from .binaries import REPO, binary
from .dns import ZONE
from .environment import LOCAL_DNS_ISSUER, LOCAL_ISSUER, LocalEnvironment
from .processes import Server, stop_on_signals

EXAMPLE = REPO / "deploy" / "examples" / "certificate.yaml"


def say(text: str) -> None:
    print(text, flush=True)


def start(workdir: Path, with_controller_manager: bool = True) -> tuple[LocalEnvironment, Server]:
    began = time.monotonic()
    env = LocalEnvironment(workdir, with_controller_manager=with_controller_manager)
    manager = "kube-controller-manager, " if with_controller_manager else ""
    say(f"starting etcd, kube-apiserver, {manager}BIND, Pebble and the solver host ...")
    env.start()
    operator = env.start_operator("operator")
    env.apply(env.cluster_issuer())
    env.apply(env.dns_cluster_issuer())
    deadline = time.monotonic() + 60
    for issuer in (LOCAL_ISSUER, LOCAL_DNS_ISSUER):
        while _ready(env, "clusterissuer", None, issuer) != "True":
            if time.monotonic() > deadline or not operator.running():
                raise RuntimeError(f"ClusterIssuer {issuer} not ready:\n{operator.log_tail()}")
            time.sleep(0.2)
    took = time.monotonic() - began
    say(
        f"local environment ready in {took:.1f} s (ClusterIssuers {LOCAL_ISSUER!r} and "
        f"{LOCAL_DNS_ISSUER!r} are Ready)"
    )
    return env, operator


def _ready(env: LocalEnvironment, kind: str, namespace: str | None, name: str) -> str | None:
    args = ["get", kind, name, "-o", "json", "--ignore-not-found"] + (["-n", namespace] if namespace else [])
    out = env.controlplane.kubectl(*args)
    for cond in ((json.loads(out) if out.strip() else {}).get("status") or {}).get("conditions") or []:
        if cond["type"] == "Ready":
            return str(cond["status"])
    return None


def demo() -> int:
    """Bring everything up, issue the example Certificate, show the Secret, take everything down."""
    workdir = Path(tempfile.mkdtemp(prefix="evercert-demo-"))
    # One Certificate needs no controller: its solver objects go with a DeleteCollection, and
    # `make demo` then builds neither kube-controller-manager nor Traefik (hack/testbin.sh demo).
    env, _ = start(workdir, with_controller_manager=False)
    try:
        manifest = yaml.safe_load(EXAMPLE.read_text())
        name, namespace = manifest["metadata"]["name"], manifest["metadata"]["namespace"]
        say(f"\n$ kubectl apply -f {EXAMPLE.relative_to(REPO)}")
        say(env.controlplane.kubectl("apply", "-f", str(EXAMPLE)).strip())
        began = time.monotonic()
        last = ""
        while True:
            cert = json.loads(
                env.controlplane.kubectl("get", "certificate", name, "-n", namespace, "-o", "json")
            )
            conds = {c["type"]: c for c in (cert.get("status") or {}).get("conditions") or []}
            ready = conds.get("Ready", {})
            line = f"  Ready={ready.get('status', '?')} {ready.get('reason', '')}: {ready.get('message')}"
            if line != last:
                say(f"[{time.monotonic() - began:5.1f} s]{line}")
                last = line
            if ready.get("status") == "True":
                break
            if time.monotonic() - began > 120:
                say("the Certificate did not become Ready in 120 s; operator log:")
                say(env.operators[0].log_tail(40))
                return 1
            time.sleep(0.3)
        say(f"\n$ kubectl get certificate -n {namespace}")
        say(env.controlplane.kubectl("get", "certificate", "-n", namespace))
        secret = json.loads(
            env.controlplane.kubectl(
                "get", "secret", cert["spec"]["secretName"], "-n", namespace, "-o", "json"
            )
        )
        show_secret(secret)
        return 0
    finally:
        say("\nstopping the local environment ...")
        env.stop()


def show_secret(secret: dict[str, object]) -> None:
    from cryptography import x509

    data = secret["data"]
    assert isinstance(data, dict)
    chain = x509.load_pem_x509_certificates(base64.b64decode(data["tls.crt"]))
    leaf = chain[0]
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName
    )
    meta = secret["metadata"]
    assert isinstance(meta, dict)
    say(f"Secret {meta['namespace']}/{meta['name']} (type {secret['type']}): keys {sorted(data)}")
    say(f"  subject:  {leaf.subject.rfc4514_string() or '(empty)'}")
    say(f"  names:    {', '.join(names)}")
    say(f"  issuer:   {leaf.issuer.rfc4514_string()}")
    say(f"  serial:   {leaf.serial_number:x}")
    say(f"  expires:  {leaf.not_valid_after_utc:%Y-%m-%d %H:%M:%S} UTC")
    say(f"  chain:    {len(chain)} certificates")


def up(workdir: Path) -> int:
    """Start in the background; print what to export. `down` stops it."""
    pidfile = workdir / "devenv.pid"
    if pidfile.exists() and _alive(int(pidfile.read_text())):
        kubeconfig = workdir / "env" / "controlplane" / "admin.kubeconfig"
        say(f"already running (pid {pidfile.read_text().strip()}); export KUBECONFIG={kubeconfig}")
        return 0
    workdir.mkdir(parents=True, exist_ok=True)
    log = (workdir / "devenv.log").open("wb")
    child = subprocess.Popen(
        [sys.executable, "-m", "evercert_devenv", "serve", "--dir", str(workdir)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    pidfile.write_text(str(child.pid))
    ready = workdir / "ready"
    deadline = time.monotonic() + 180
    try:
        while not ready.exists():
            if child.poll() is not None or time.monotonic() > deadline:
                say((workdir / "devenv.log").read_text()[-3000:])
                return 1
            time.sleep(0.2)
    except BaseException:  # Ctrl-C or SIGTERM while starting: the environment goes too
        child.terminate()
        child.wait(60)
        pidfile.unlink(missing_ok=True)
        raise
    say(ready.read_text())
    return 0


def serve(workdir: Path) -> int:
    """The foreground part of `up`: keep everything running until SIGTERM."""
    env_dir = workdir / "env"
    if env_dir.exists():
        subprocess.run(["rm", "-rf", str(env_dir)], check=True)
    env, operator = start(env_dir)
    stop = False

    def on_signal(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    kubectl_dir = Path(binary("kubectl")).parent
    (workdir / "ready").write_text(
        "evercert local environment is up:\n"
        f"  export KUBECONFIG={env.kubeconfig}\n"
        f"  export PATH={kubectl_dir}:{Path(sys.executable).parent}:$PATH   # kubectl and kubectl-evercert\n"
        "  kubectl apply -f deploy/examples/certificate.yaml\n"
        "  kubectl get certificates -A -w\n"
        "  kubectl evercert status -A\n"
        f"metrics: {env.metrics_url(operator)}\n"
        f"DNS server: {env.bind.address}   (BIND, zone {ZONE}; ClusterIssuer {LOCAL_DNS_ISSUER} solves\n"
        f"  DNS-01 there, wildcards too: dnsNames ['*.x.{ZONE}', 'x.{ZONE}'])\n"
        "a reload: annotate a Deployment evercert.dev/reload-on-renewal=<secret>, then\n"
        "  `kubectl evercert renew <certificate>`: the deployment controller rolls it out\n"
        f"logs: {env_dir}/*.log   stop with: make dev-down\n"
    )
    try:
        while not stop:
            time.sleep(0.5)
    finally:
        env.stop()
        (workdir / "ready").unlink(missing_ok=True)
    return 0


def down(workdir: Path) -> int:
    pidfile = workdir / "devenv.pid"
    if not pidfile.exists():
        say("not running")
        return 0
    pid = int(pidfile.read_text())
    if _alive(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)
    pidfile.unlink(missing_ok=True)
    say("local environment stopped")
    return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(prog="evercert_devenv")
    parser.add_argument("command", choices=["up", "down", "serve", "demo"])
    parser.add_argument("--dir", type=Path, default=Path.home() / ".cache" / "evercert" / "dev")
    options = parser.parse_args()
    if options.command != "down":
        stop_on_signals()
    if options.command == "demo":
        return demo()
    return {"up": up, "down": down, "serve": serve}[options.command](options.dir)


if __name__ == "__main__":
    sys.exit(main())
