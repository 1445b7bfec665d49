"""Plays kubelet for evercert's HTTP-01 solver Pods, and for nothing else.

The local control plane has no node. This process watches solver Pods and runs each one's own
`evercert solve` entry point as a local process. With `--netns`, each Pod gets an address of its own
inside the test bed's network namespace (see podnetwork.py); the Pod is bound to this host's Node and
reported Running and Ready with that address, so kube-controller-manager publishes it in the
Service's EndpointSlice and a real ingress controller (Traefik) routes to it. Without a namespace the
solvers listen on loopback ports and this process also routes HTTP-01 itself (solverrouting.py).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from kubernetes_asyncio import client, config

from . import kubelet, podnetwork
from .podnetwork import POD_INTERFACE, pod_addresses
from .processes import free_port
from .solverrouting import Router

log = logging.getLogger("evercert_devenv.solverhost")

SOLVER_LABEL = "evercert.dev/http01-solver=true"
SOLVER_COMMAND = ["evercert", "solve"]


@dataclass
class RunningSolver:
    namespace: str
    name: str
    labels: dict[str, str]
    address: str = ""
    port: int = 0
    process: asyncio.subprocess.Process | None = None
    task: asyncio.Task[None] | None = None


@dataclass
class SolverHost:
    api: client.ApiClient
    netns: str | None = None  # None: loopback ports, routed by this process
    host_address: str = ""
    free_addresses: list[str] = field(default_factory=list)
    solvers: dict[tuple[str, str], RunningSolver] = field(default_factory=dict)
    ending: set[asyncio.Task[None]] = field(default_factory=set)
    # The solvers' compiled bytecode, kept between starts as an image holds it: with
    # PYTHONDONTWRITEBYTECODE set, every start would compile evercert's modules again.
    pycache: str = field(default_factory=lambda: tempfile.mkdtemp(prefix="evercert-solver-pycache-"))

    async def watch_pods(self) -> None:
        """List solver Pods, start what is missing and stop what is gone, then follow a watch."""
        core = client.CoreV1Api(self.api)
        while True:
            try:
                listed = await kubelet.read_json(
                    core.list_pod_for_all_namespaces(label_selector=SOLVER_LABEL, _preload_content=False)
                )
                pods = [kubelet.Pod.from_json(item) for item in listed.get("items") or []]
                alive = {(pod.namespace, pod.name) for pod in pods}
                for key in set(self.solvers) - alive:  # deleted while the watch was broken
                    await self.stop_solver(key)
                for pod in pods:
                    await self.on_pod(pod, deleted=False)
                response = await core.list_pod_for_all_namespaces(
                    label_selector=SOLVER_LABEL,
                    resource_version=(listed.get("metadata") or {}).get("resourceVersion"),
                    timeout_seconds=300,
                    watch=True,
                    _preload_content=False,
                )
                async with response:
                    async for line in response.content:
                        if line.strip():
                            await self.on_event(json.loads(line))
            except (TimeoutError, aiohttp.ClientError, client.ApiException) as exc:
                # The apiserver restarting (a test does that) must not end the watch for good.
                log.warning("pod watch broke (%s); listing again", exc)
                await asyncio.sleep(1)

    async def on_event(self, event: dict[str, Any]) -> None:
        kind, raw = event.get("type"), event.get("object") or {}
        if kind == "ERROR":  # e.g. 410 Gone: list again
            raise client.ApiException(status=raw.get("code"), reason=raw.get("message"))
        if kind not in ("ADDED", "MODIFIED", "DELETED"):
            return
        meta = raw.get("metadata") or {}
        ending = kind == "DELETED" or bool(meta.get("deletionTimestamp"))
        # A Pod matters to this host when it is new or ending, not for each of its status updates.
        if ending or (meta.get("namespace"), meta.get("name")) not in self.solvers:
            await self.on_pod(kubelet.Pod.from_json(raw), deleted=kind == "DELETED")

    async def on_pod(self, pod: kubelet.Pod, deleted: bool) -> None:
        key = (pod.namespace, pod.name)
        if deleted or pod.ending:
            # As a kubelet does, each Pod on its own: stopping one must not hold up starting the next.
            ending = asyncio.create_task(self.end(key, pod, deleted))
            self.ending.add(ending)
            ending.add_done_callback(self.ending.discard)
        elif key not in self.solvers:
            if pod.command != SOLVER_COMMAND:
                log.error("refusing to run %s/%s: not evercert's solver", *key)
                return
            solver = self.solvers[key] = RunningSolver(key[0], key[1], pod.labels)
            solver.task = asyncio.create_task(self.run(solver, pod))

    async def end(self, key: tuple[str, str], pod: kubelet.Pod, deleted: bool) -> None:
        await self.stop_solver(key)
        if not deleted and self.netns:
            # A kubelet confirms a bound Pod's end; until then its deletion waits.
            try:
                await kubelet.confirm_deletion(self.api, pod)
            except client.ApiException as exc:
                log.warning("confirming the deletion of %s/%s: %s", *key, exc.reason)

    async def run(self, solver: RunningSolver, pod: kubelet.Pod) -> None:
        """Run the Pod's solver until it exits with 0 (restartPolicy OnFailure) or the Pod goes."""
        args = pod.args
        restarts = 0
        try:
            if self.netns:
                await kubelet.bind(self.api, pod)
                solver.address = self.free_addresses.pop(0)
                solver.port = pod.port
                await podnetwork.run_ip(
                    "-n", self.netns, "addr", "add", f"{solver.address}/32", "dev", POD_INTERFACE
                )
            while True:
                if not self.netns:
                    solver.port = self.unused_port()
                solver.process = await self.spawn(solver, args)
                log.info(
                    "started solver %s/%s on %s:%d",
                    solver.namespace,
                    solver.name,
                    solver.address,
                    solver.port,
                )
                if self.netns and await self.answers(solver):
                    await kubelet.report_running(self.api, pod, solver.address, self.host_address, restarts)
                if await solver.process.wait() == 0:
                    return
                # As a kubelet would: e.g. another process took the free port before the solver bound it.
                log.warning(
                    "solver %s/%s exited with %d; starting it again",
                    solver.namespace,
                    solver.name,
                    solver.process.returncode,
                )
                restarts += 1
                await asyncio.sleep(0.5)
        except client.ApiException as exc:
            log.warning("solver %s/%s: %s", solver.namespace, solver.name, exc.reason)
        finally:
            await self.release(solver)

    async def spawn(self, solver: RunningSolver, args: list[str]) -> asyncio.subprocess.Process:
        command = [sys.executable, "-m", "evercert", "solve"]
        if self.netns:
            # The Pod's own args and port; only the address is the one this Pod was given.
            command = [
                "ip",
                "netns",
                "exec",
                self.netns,
                *command,
                *without_bind(args),
                f"--bind={solver.address}",
            ]
        else:
            solver.address = "127.0.0.1"
            command += [*without_bind(args, "--port"), f"--port={solver.port}", "--bind=127.0.0.1"]
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = self.pycache
        return await asyncio.create_subprocess_exec(*command, stdin=asyncio.subprocess.DEVNULL, env=env)

    def unused_port(self) -> int:
        # A solver still starting has not bound its port yet: free_port() may offer that port again.
        taken = {solver.port for solver in self.solvers.values()}
        port = free_port()
        while port in taken:
            port = free_port()
        return port

    async def answers(self, solver: RunningSolver) -> bool:
        """Wait until the solver accepts connections on its address (the container has started)."""
        assert solver.process is not None
        while solver.process.returncode is None:
            try:
                _, writer = await asyncio.open_connection(solver.address, solver.port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            return True
        return False

    async def release(self, solver: RunningSolver) -> None:
        if solver.process and solver.process.returncode is None:
            solver.process.terminate()
            await solver.process.wait()
        if self.netns and solver.address:
            await podnetwork.run_ip(
                "-n", self.netns, "addr", "del", f"{solver.address}/32", "dev", POD_INTERFACE
            )
            self.free_addresses.append(solver.address)  # reused last: old EndpointSlices fade first
            solver.address = ""

    async def stop_solver(self, key: tuple[str, str]) -> None:
        solver = self.solvers.pop(key, None)
        if solver and solver.task:
            solver.task.cancel()
            await asyncio.gather(solver.task, return_exceptions=True)

    async def stop_all(self) -> None:
        await asyncio.gather(*self.ending, return_exceptions=True)
        for key in list(self.solvers):
            await self.stop_solver(key)


def without_bind(args: list[str], *more: str) -> list[str]:
    """The Pod's args without its listening address (and without the other flags named in `more`)."""
    return [a for a in args if not a.startswith(("--bind", *more))]


async def serve(options: argparse.Namespace) -> None:
    configuration = client.Configuration()
    await config.load_kube_config(config_file=options.kubeconfig, client_configuration=configuration)
    async with client.ApiClient(configuration) as api, aiohttp.ClientSession() as proxy:
        host = SolverHost(api)
        watchers = [asyncio.create_task(host.watch_pods())]
        runner = None
        if options.netns:
            subnet = ipaddress.IPv4Network(options.pod_subnet)
            host.netns, host.host_address = options.netns, str(subnet[1])
            host.free_addresses = pod_addresses(subnet)
            await kubelet.register_node(api, host.host_address)
        else:
            router = Router(api, proxy, host.solvers)
            watchers += router.watchers()
            runner = await router.listen(options.port)
        if options.ready_file:
            with open(options.ready_file, "w") as handle:
                handle.write(str(os.getpid()))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        for watcher in watchers:
            watcher.cancel()
        await host.stop_all()
        shutil.rmtree(host.pycache, ignore_errors=True)
        if runner:
            await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--netns", help="the network namespace for solver Pods (Traefik routes to them)")
    parser.add_argument("--pod-subnet", help="with --netns: the namespace's subnet (host end first)")
    parser.add_argument("--port", type=int, help="without --netns: the HTTP port Pebble validates against")
    parser.add_argument("--ready-file")
    options = parser.parse_args()
    if bool(options.netns) == bool(options.port) or bool(options.netns) != bool(options.pod_subnet):
        parser.error("give either --netns and --pod-subnet, or --port")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s solverhost %(levelname)s %(message)s")
    asyncio.run(serve(options))


if __name__ == "__main__":
    main()
