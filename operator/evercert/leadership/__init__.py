"""High availability and scale-out: shard Leases (coordination.k8s.io/v1), one of them for leader election.

elector = Elector(KubeLeases(kube, namespace), new_identity(), SystemClock(), count=shards,
                  on_gained=..., on_lost=...)
task = asyncio.create_task(elector.run())
... elector.serves(namespace, name) ...
task.cancel(); await elector.release()   # on SIGTERM
"""

from .elector import Elector
from .leases import KubeLeases, LeaseStore
from .policy import Timing
from .shards import new_identity, shard_of

__all__ = ["Elector", "KubeLeases", "LeaseStore", "Timing", "new_identity", "shard_of"]
