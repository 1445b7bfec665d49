"""One issuance, step by step: next key, order, HTTP-01 solvers, finalize, write the Secret, clean up.

Every step can be interrupted (crash, restart) and resumed: the next key lives in its own Secret
until the certificate is written, and the order URL is kept in the Certificate's status.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from . import accounts, constants, faults
from .acme import client as acme_client
from .acme import order as acme_order
from .api.certificate import CertificateSpec
from .api.issuer import Http01IngressSolver, IssuerSpec
from .errors import AcmeFailure, EvercertError
from .kube import solvers as kube_solvers
from .kube.client import create_or_replace_secret, delete_secret, read_secret
from .pki import (
    PrivateKey,
    build_csr,
    generate_private_key,
    key_matches_certificate,
    load_private_key_pem,
    parse_pem_chain,
    private_key_to_pem,
    public_key_id,
)
from .runtime import Runtime
from .secrets import build_tls_secret, check_ownership, decode_field, key_reusable, read_contents
from .selfcheck import wait_for_route
from .solver.challenge import SolverRequest, certificate_label_value
from .solver.ingress import add_challenge_path, build_ingress, remove_paths_to_services
from .solver.pod import build_pod
from .solver.service import build_service

log = logging.getLogger(__name__)

NEXT_KEY_FIELD = "tls.key"


class IssuedKeyMismatch(EvercertError):
    reason = "KeyMismatch"
    failed_attempt = True


@dataclass(frozen=True)
class Issued:
    chain_pem: bytes
    serial_hex: str


def next_key_secret_name(certificate_name: str) -> str:
    """Deterministic, so a restarted operator finds the key it made before the crash."""
    name = f"{certificate_name}-next-key"
    if len(name) <= 253:
        return name
    return f"{certificate_name[:220]}-{hashlib.sha256(certificate_name.encode()).hexdigest()[:10]}-next-key"


def certificate_owner(spec: CertificateSpec) -> dict[str, Any]:
    return {
        "apiVersion": constants.API_VERSION,
        "kind": "Certificate",
        "name": spec.name,
        "uid": spec.uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def order_matches(
    order: Mapping[str, Any] | None, spec: CertificateSpec, issuer: IssuerSpec, key_id: str
) -> bool:
    """A stored order is only resumed for the same names from the same issuer with the same key.

    The key check matters when the body in hand is a little behind: it may still show the order of
    the issuance that just finished, whose certificate is for the previous key."""
    return (
        bool(order and order.get("url"))
        and list(order.get("dnsNames") or []) == list(spec.dns_names)
        and (order.get("issuer") == f"{issuer.kind}/{issuer.name}")
        and order.get("keyId", key_id) == key_id  # orders stored without keyId: as before
    )


async def next_private_key(
    runtime: Runtime, spec: CertificateSpec, current: Mapping[str, Any] | None
) -> tuple[bytes, PrivateKey]:
    """The key for the next certificate: reused per rotationPolicy Never, else from (or into) its Secret.

    Keys read back from a Secret are loaded with all checks; a fresh one needs none (they cost ~45 ms)."""
    reusable = key_reusable(read_contents(current), spec) if current else None
    if reusable:
        return reusable, load_private_key_pem(reusable)
    name = next_key_secret_name(spec.name)
    stored = await read_secret(runtime.kube, spec.namespace, name)
    if stored is not None:
        key_pem = decode_field(stored, NEXT_KEY_FIELD)
        labels = (stored.get("metadata") or {}).get("labels") or {}
        if key_pem and labels.get(constants.LABEL_NEXT_KEY) == "true":
            return key_pem, load_private_key_pem(key_pem)
    key = generate_private_key(spec.private_key.algorithm, spec.private_key.size)
    key_pem = private_key_to_pem(key)
    await create_or_replace_secret(
        runtime.kube,
        spec.namespace,
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {
                "name": name,
                "namespace": spec.namespace,
                "resourceVersion": ((stored or {}).get("metadata") or {}).get("resourceVersion"),
                "labels": {
                    constants.LABEL_MANAGED_BY: constants.MANAGED_BY,
                    constants.LABEL_NEXT_KEY: "true",
                    constants.LABEL_CERTIFICATE: certificate_label_value(spec.name),
                },
                "ownerReferences": [certificate_owner(spec)],
            },
            "data": {NEXT_KEY_FIELD: base64.b64encode(key_pem).decode()},
        },
    )
    return key_pem, key


def solver_request(
    spec: CertificateSpec, solver: Http01IngressSolver, task: acme_order.Http01Task, image: str
) -> SolverRequest:
    return SolverRequest(
        certificate_name=spec.name,
        certificate_uid=spec.uid,
        namespace=spec.namespace,
        dns_name=task.dns_name,
        token=task.token,
        key_authorization=task.key_authorization,
        image=image,
        ingress_class_name=spec.solver_ingress_class or solver.ingress_class_name,
        ingress_class=None if spec.solver_ingress_class else solver.ingress_class,
        service_type=solver.service_type,
        path_type=solver.path_type,
        pod_labels=solver.pod_labels,
        pod_annotations=solver.pod_annotations,
        node_selector=solver.node_selector,
        tolerations=tuple(dict(t) for t in solver.tolerations),
    )


def solver_selector(certificate_name: str) -> str:
    """Selects every solver object of this Certificate, whatever challenge it served."""
    label = certificate_label_value(certificate_name)
    return f"{constants.LABEL_SOLVER}=true,{constants.LABEL_CERTIFICATE}={label}"


async def remove_solver_objects(
    runtime: Runtime, namespace: str, certificate_name: str, edited_ingress: str | None = None
) -> None:
    """Delete the solver objects; first take their routes out of a user's Ingress that was edited."""
    selector = solver_selector(certificate_name)
    if edited_ingress:
        services = await kube_solvers.solver_service_names(runtime.kube, namespace, selector)
        if services:
            await kube_solvers.edit_ingress(
                runtime.kube, namespace, edited_ingress, lambda ing: remove_paths_to_services(ing, services)
            )
    await kube_solvers.delete_solver_objects(runtime.kube, namespace, selector)


async def remove_leftovers(runtime: Runtime, spec: CertificateSpec) -> None:
    """Delete solver objects and the next-key Secret once a certificate is in place."""
    await remove_solver_objects(runtime, spec.namespace, spec.name)
    await delete_secret(runtime.kube, spec.namespace, next_key_secret_name(spec.name))


async def issue(
    runtime: Runtime,
    spec: CertificateSpec,
    issuer: IssuerSpec,
    account_uri: str,
    stored_order: Mapping[str, Any] | None,
    current_secret: Mapping[str, Any] | None,
    replaces: str | None = None,
) -> Issued:
    """Run (or resume) one issuance to the end: the tls Secret is written when this returns."""
    key_pem, key = await next_private_key(runtime, spec, current_secret)
    faults.checkpoint("key-created")
    csr_pem = build_csr(key, spec.dns_names, spec.common_name)
    settings = await accounts.account_settings(runtime, issuer)
    account_key = await accounts.read_account_key(runtime, issuer)
    client = await runtime.blocking(acme_client.connect, settings, account_key, account_uri)
    order = await _resume_or_create_order(
        runtime, client, spec, issuer, stored_order, csr_pem, public_key_id(key), replaces
    )
    faults.checkpoint("order-created")
    deadline = datetime.datetime.now() + datetime.timedelta(
        seconds=runtime.settings.issuance_deadline_seconds
    )
    try:
        await _authorize(runtime, client, spec, issuer, order, deadline)
        chain = await runtime.blocking(
            acme_order.finalize_order, client, order, csr_pem, deadline, issuer.preferred_chain
        )
        faults.checkpoint("finalized")
    finally:
        await remove_solver_objects(runtime, spec.namespace, spec.name, issuer.solvers[0].ingress_name)
    chain_pem = chain.encode() if isinstance(chain, str) else chain
    if not key_matches_certificate(key_pem, chain_pem):
        raise IssuedKeyMismatch("the CA returned a certificate that does not match the private key")
    await _write_secret(runtime, spec, issuer, chain_pem, key_pem)
    faults.checkpoint("secret-written")
    await delete_secret(runtime.kube, spec.namespace, next_key_secret_name(spec.name))
    serial = format(parse_pem_chain(chain_pem)[0].serial_number, "x")
    return Issued(chain_pem, serial)


async def _resume_or_create_order(
    runtime: Runtime,
    client: Any,
    spec: CertificateSpec,
    issuer: IssuerSpec,
    stored_order: Mapping[str, Any] | None,
    csr_pem: bytes,
    key_id: str,
    replaces: str | None,
) -> acme_order.OrderSnapshot:
    if stored_order and order_matches(stored_order, spec, issuer, key_id):
        try:
            order = await runtime.blocking(acme_order.load_order, client, stored_order["url"])
        except AcmeFailure as exc:
            if exc.transient:  # the CA is unwell, not the order: keep it for the next attempt
                raise
            log.info("stored order could not be loaded; creating a new one", extra={"error": exc.message})
        else:
            if order.status not in ("invalid", "expired", "deactivated"):
                return order
    try:
        order = await runtime.blocking(acme_order.create_order, client, csr_pem, issuer.profile, replaces)
    except AcmeFailure:
        if replaces is None:
            raise
        # e.g. alreadyReplaced, or a CA that no longer knows the old certificate: order without it.
        order = await runtime.blocking(acme_order.create_order, client, csr_pem, issuer.profile, None)
    await runtime.patch_status(
        spec.namespace,
        spec.name,
        {
            "order": {
                "url": order.url,
                "dnsNames": list(spec.dns_names),
                "issuer": f"{issuer.kind}/{issuer.name}",
                "keyId": key_id,
            },
        },
    )
    return order


async def _authorize(
    runtime: Runtime,
    client: Any,
    spec: CertificateSpec,
    issuer: IssuerSpec,
    order: acme_order.OrderSnapshot,
    deadline: datetime.datetime,
) -> None:
    """Solve every pending HTTP-01 challenge of the order, all names at once."""
    if order.status not in ("pending",):
        return
    tasks = await runtime.blocking(acme_order.pending_http01_tasks, client, order)
    solver = issuer.solvers[0]
    requests = [solver_request(spec, solver, task, runtime.settings.solver_image) for task in tasks]
    for request in requests:
        ingress = None if solver.ingress_name else build_ingress(request)
        await kube_solvers.create_solver_objects(
            runtime.kube, spec.namespace, build_pod(request), build_service(request), ingress
        )
        if solver.ingress_name:
            await kube_solvers.edit_ingress(
                runtime.kube,
                spec.namespace,
                solver.ingress_name,
                partial(add_challenge_path, request=request),
            )
    faults.checkpoint("solvers-created")
    timeout = max(1.0, (deadline - datetime.datetime.now()).total_seconds())
    await asyncio.gather(
        *(
            wait_for_route(
                t.dns_name,
                t.token,
                t.key_authorization,
                address=runtime.settings.self_check_address,
                timeout=timeout,
            )
            for t in tasks
        )
    )
    for task in tasks:
        await runtime.blocking(acme_order.answer_challenge, client, task)
    faults.checkpoint("challenge-answered")
    await runtime.blocking(acme_order.wait_for_authorizations, client, order, deadline)


async def _write_secret(
    runtime: Runtime, spec: CertificateSpec, issuer: IssuerSpec, chain_pem: bytes, key_pem: bytes
) -> None:
    """One create or replace: the Secret never holds a key and cert that do not match."""
    current = await read_secret(runtime.kube, spec.namespace, spec.secret_name)
    if current is not None:
        check_ownership(current, spec)  # a foreign Secret may have appeared while the order ran
    body = build_tls_secret(
        spec,
        issuer_name=issuer.name,
        issuer_kind=issuer.kind,
        chain_pem=chain_pem,
        key_pem=key_pem,
        existing=current,
        owner_reference=certificate_owner(spec) if runtime.settings.certificate_owner_ref else None,
    )
    await create_or_replace_secret(runtime.kube, spec.namespace, body)
