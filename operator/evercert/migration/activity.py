"""Is cert-manager's controller still at work? Two controllers would renew the same Secrets (pure)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

# cert-manager's defaults: its controller's leader-election Lease, where its Helm chart puts it, and
# the labels the chart gives the controller's Deployment.
LEASE_NAME = "cert-manager-controller"
LEASE_NAMESPACE = "kube-system"
LEASE_DURATION = datetime.timedelta(seconds=60)  # --leader-election-lease-duration
DEPLOYMENT_SELECTOR = "app.kubernetes.io/name=cert-manager,app.kubernetes.io/component=controller"


def activity(
    lease: Mapping[str, Any] | None, deployments: Sequence[Mapping[str, Any]], now: datetime.datetime
) -> list[str]:
    """Why cert-manager's controller looks active (empty: it does not)."""
    found = []
    held = _lease_held(lease, now)
    if held:
        found.append(held)
    for deployment in deployments:
        ready = int((deployment.get("status") or {}).get("readyReplicas") or 0)
        if ready:
            metadata = deployment.get("metadata") or {}
            found.append(
                f"Deployment {metadata.get('namespace')}/{metadata.get('name')} has {ready} ready replica(s)"
            )
    return found


def _lease_held(lease: Mapping[str, Any] | None, now: datetime.datetime) -> str | None:
    spec = (lease or {}).get("spec") or {}
    holder, renewed = spec.get("holderIdentity"), _time(spec.get("renewTime"))
    if not holder or renewed is None:
        return None
    seconds = spec.get("leaseDurationSeconds")
    lasts = datetime.timedelta(seconds=int(seconds)) if seconds else LEASE_DURATION
    if renewed + lasts <= now:
        return None
    ago = max(0, int((now - renewed).total_seconds()))
    return f"Lease {LEASE_NAMESPACE}/{LEASE_NAME} held by {holder}, renewed {ago}s ago"


def _time(value: object) -> datetime.datetime | None:
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)
