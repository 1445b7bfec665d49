"""Reload on renewal: restart the workloads that use a renewed certificate, by their own rollout strategy.

`plan` decides (pure); `sync` writes the Pod-template patch.
"""

from evercert.reload.plan import IssuedCertificate, Reload, Workload, issued_certificate, plan, workload
from evercert.reload.sync import reload_workloads, restart

__all__ = [
    "IssuedCertificate",
    "Reload",
    "Workload",
    "issued_certificate",
    "plan",
    "reload_workloads",
    "restart",
    "workload",
]
