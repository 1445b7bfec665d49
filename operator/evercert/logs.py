"""Structured logging: one JSON object per line, never with key material."""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

_PEM_BLOCK = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S)
# Record attributes that are not ours to print: logging's own, and kopf's internals (its settings).
KOPF_OBJECTS = "kopf.objects"
_SKIPPED = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "settings", "k8s_skip"}


def redact(text: str) -> str:
    """Replace any PEM private key block with a marker (defence in depth)."""
    return _PEM_BLOCK.sub("[redacted private key]", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key in _SKIPPED or key.startswith("_"):
                continue
            if key == "k8s_ref" and isinstance(value, dict):
                entry["object"] = "/".join(
                    filter(None, [value.get("kind"), value.get("namespace"), value.get("name")])
                )
            else:
                entry[key] = redact(str(value)) if isinstance(value, str | bytes) else value
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure(log_format: str, level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter()
        if log_format == "json"
        else TextFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Third-party chatter (urllib3, acme) at WARNING: it can include request bodies at DEBUG.
    for noisy in ("urllib3", "acme", "josepy", "requests", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # kopf's per-object lines ("Handler 'x' succeeded.") come once per handler and watch event: about 16
    # for each certificate issued, each a JSON line to format. Its warnings and errors still show.
    kopf_objects_level = logging.WARNING if root.level > logging.DEBUG else logging.NOTSET
    logging.getLogger(KOPF_OBJECTS).setLevel(kopf_objects_level)
