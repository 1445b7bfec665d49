"""The chart's RBAC lets the operator's ServiceAccount hold, renew and release its Leases (audit log)."""

from __future__ import annotations

import asyncio

from kubernetes_asyncio import client, config

from evercert.core.clock import SystemClock
from evercert.kube.client import Kube
from evercert.leadership import Elector, KubeLeases, Timing, new_identity
from evercert_devenv.environment import LocalEnvironment

from ..support.chart import Release, audit_events, forbidden_requests
from ..support.waiting import eventually


async def renew_times(leases: KubeLeases) -> dict[str, object]:
    return {lease.name: lease.spec.renew_time for lease in await leases.list()}


async def test_the_service_account_holds_renews_and_releases_two_shards(
    env: LocalEnvironment, release: Release
) -> None:
    account = release.find("ServiceAccount")["metadata"]["name"]
    kubeconfig = env.controlplane.service_account_kubeconfig(
        release.namespace, account, env.workdir / "leases.kubeconfig"
    )
    configuration = client.Configuration()
    await config.load_kube_config(str(kubeconfig), client_configuration=configuration, persist_config=False)
    kube = Kube(client.ApiClient(configuration))
    timing = Timing(lease_duration=3, renew_deadline=2, retry_period=0.5)
    leases = KubeLeases(kube, release.namespace)
    elector = Elector(leases, new_identity("e2e"), SystemClock(), count=2, timing=timing)
    task = asyncio.create_task(elector.run())
    try:
        await eventually(lambda: elector.held == {0, 1}, 20, "the shards to be taken")
        first = await renew_times(leases)

        async def renewed() -> bool:
            return (await renew_times(leases)) != first

        await eventually(renewed, 20, "a renewal of the shards (an update)")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await elector.release()
        await kube.close()
    verbs = {
        event["verb"]
        for event in audit_events(env, release.service_account_user)
        if (event.get("objectRef") or {}).get("resource") == "leases"
    }
    assert {"list", "create", "update", "delete"} <= verbs
    assert [line for line in forbidden_requests(env, release) if "leases" in line] == []
