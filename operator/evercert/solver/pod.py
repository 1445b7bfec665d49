"""The solver Pod: the evercert image running `evercert solve` for exactly one token."""

from typing import Any

from evercert.core.constants import SOLVER_PORT
from evercert.solver.challenge import SolverRequest, solver_labels, solver_metadata

CONTAINER_NAME = "acme-http-solver"
# A fixed non-root id, so runAsNonRoot holds whatever USER the image declares.
SOLVER_UID = 65532

# Defaults a user's podTemplate may override: keep service meshes from intercepting the challenge,
# and keep a Linux image off Windows nodes.
DEFAULT_ANNOTATIONS = {"sidecar.istio.io/inject": "false"}
DEFAULT_NODE_SELECTOR = {"kubernetes.io/os": "linux"}


def build_pod(request: SolverRequest) -> dict[str, Any]:
    """The Pod manifest, meeting the `restricted` Pod Security Standard."""
    metadata = solver_metadata(request)
    metadata["labels"] = {**request.solver.pod_labels, **solver_labels(request)}
    metadata["annotations"] = {**DEFAULT_ANNOTATIONS, **request.solver.pod_annotations}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {
            "restartPolicy": "OnFailure",
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "nodeSelector": {**DEFAULT_NODE_SELECTOR, **request.solver.node_selector},
            "tolerations": [dict(toleration) for toleration in request.solver.tolerations],
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": SOLVER_UID,
                "runAsGroup": SOLVER_UID,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containers": [_container(request)],
        },
    }


def solver_args(request: SolverRequest) -> list[str]:
    """Arguments of `evercert solve`; `--flag=value` because a token may begin with '-'."""
    return [
        f"--port={SOLVER_PORT}",
        f"--host={request.dns_name}",
        f"--token={request.token}",
        # The key authorization is served to anyone who asks; it is not a secret.
        f"--key-authorization={request.key_authorization}",
    ]


def _container(request: SolverRequest) -> dict[str, Any]:
    return {
        "name": CONTAINER_NAME,
        "image": request.image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["evercert", "solve"],
        "args": solver_args(request),
        "ports": [{"name": "http", "containerPort": SOLVER_PORT, "protocol": "TCP"}],
        "resources": {
            "requests": {"cpu": "10m", "memory": "64Mi"},
            "limits": {"cpu": "100m", "memory": "64Mi"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }
