"""The scheduler's two limits, read from the environment (the Helm chart sets them)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

WORKERS_DEFAULT = 64
MAX_CONCURRENT_ISSUANCES_DEFAULT = 32


@dataclass(frozen=True)
class SchedulingSettings:
    # Looks at Certificates at once; most find nothing to do, so this runs wider than issuances.
    workers: int = WORKERS_DEFAULT
    # Issuances at once: bounds the solver Pods alive and the orders open at the CA.
    max_concurrent_issuances: int = MAX_CONCURRENT_ISSUANCES_DEFAULT

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> SchedulingSettings:
        return cls(
            workers=_positive(environ, "EVERCERT_WORKERS", WORKERS_DEFAULT),
            max_concurrent_issuances=_positive(
                environ, "EVERCERT_MAX_CONCURRENT_ISSUANCES", MAX_CONCURRENT_ISSUANCES_DEFAULT
            ),
        )


def _positive(environ: Mapping[str, str], name: str, default: int) -> int:
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {text!r}") from None
    if value < 1:
        raise ValueError(f"{name} must be at least 1, not {value}")
    return value
