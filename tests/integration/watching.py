"""Every version of some objects, as `kubectl get --watch` delivers them: nothing written goes unseen."""

from __future__ import annotations

import base64
import json
import subprocess
import threading
from types import TracebackType
from typing import Any

from evercert.pki import key_matches_certificate
from evercert_devenv.binaries import binary
from evercert_devenv.environment import LocalEnvironment

WATCH_STARTED_TIMEOUT = 20


class Watch:
    """Record each version of the objects of `kind` in `namespace`, from before the first one is written."""

    def __init__(self, env: LocalEnvironment, kind: str, namespace: str) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []  # (ADDED/MODIFIED/DELETED, object)
        self._started = threading.Event()
        # -v=6 makes kubectl log the watch request once the apiserver has answered it.
        command = ["get", kind, "-n", namespace, "--watch", "--output-watch-events", "-o", "json", "-v=6"]
        self._process = subprocess.Popen(
            [binary("kubectl"), f"--kubeconfig={env.kubeconfig}", *command],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._threads = [
            threading.Thread(target=self._read_objects, daemon=True),
            threading.Thread(target=self._read_log, daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        if not self._started.wait(WATCH_STARTED_TIMEOUT):
            self.stop()
            raise RuntimeError(f"kubectl did not start watching {kind} in {namespace}")

    def _read_objects(self) -> None:
        assert self._process.stdout is not None
        decoder, pending = json.JSONDecoder(), ""
        for line in self._process.stdout:
            pending += line
            while pending.strip():
                try:
                    event, end = decoder.raw_decode(pending.lstrip())
                except ValueError:  # the rest of this event is still to come
                    break
                self.events.append((event["type"], event["object"]))
                pending = pending.lstrip()[end:]

    def _read_log(self) -> None:
        assert self._process.stderr is not None
        for line in self._process.stderr:
            if "watch=true" in line and "200 OK" in line:
                self._started.set()

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait(10)
        for thread in self._threads:
            thread.join(10)

    def __enter__(self) -> Watch:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def versions(self) -> list[dict[str, Any]]:
        return [obj for _, obj in self.events]


def field(secret: dict[str, Any], key: str) -> bytes:
    value = (secret.get("data") or {}).get(key)
    return base64.b64decode(value) if value else b""


def mismatched_versions(secrets: list[dict[str, Any]]) -> list[str]:
    """The Secret versions that held a certificate and a key that do not belong together."""
    return [
        f"{s['metadata']['name']}@{s['metadata']['resourceVersion']}"
        for s in secrets
        if field(s, "tls.crt") and not key_matches_certificate(field(s, "tls.key"), field(s, "tls.crt"))
    ]


def private_keys(secrets: list[dict[str, Any]], certificate: str) -> set[bytes]:
    """Every distinct private key that the Secrets of `certificate` (tls and next key) ever held."""
    names = {f"{certificate}-tls", f"{certificate}-next-key"}
    return {field(s, "tls.key") for s in secrets if s["metadata"]["name"] in names and field(s, "tls.key")}


def order_urls(certificates: list[dict[str, Any]]) -> set[str]:
    """Every distinct ACME order these Certificate versions recorded in their status."""
    return {
        str(c["status"]["order"]["url"])
        for c in certificates
        if ((c.get("status") or {}).get("order") or {}).get("url")
    }
