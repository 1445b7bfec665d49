"""The test bed's HTTP-01 path: a real ingress controller (Traefik) routes to solver Pods whose addresses
live in a network namespace that the test bed makes and removes."""

from __future__ import annotations

import ipaddress
import re
import subprocess
from typing import Any

from evercert_devenv.environment import LocalEnvironment
from evercert_devenv.podnetwork import POD_INTERFACE, PodNetwork
from evercert_devenv.processes import Server

from .helpers import certificate, wait_ready
from .watching import Watch


def namespaces() -> list[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def link_exists(name: str) -> bool:
    return subprocess.run(["ip", "link", "show", name], capture_output=True).returncode == 0


def endpoint_addresses(slices: Watch) -> set[str]:
    """Every address any version of the watched EndpointSlices held."""
    found: set[str] = set()
    for _, slice_ in slices.events:
        for endpoint in slice_.get("endpoints") or []:
            found.update(endpoint["addresses"])
    return found


def test_traefik_routes_each_challenge_to_a_solver_pod_address_in_the_test_beds_namespace(
    env: LocalEnvironment, operator: Server, namespace: str
) -> None:
    assert env.traefik is not None and env.traefik.server is not None and env.pod_network, env.routing
    names = ["routed.example.org", "www.routed.example.org"]
    with Watch(env, "endpointslices", namespace) as slices, Watch(env, "pods", namespace) as pods:
        env.apply(certificate(namespace, "routed", names))
        wait_ready(env, namespace, "routed", process=operator)
    addresses = endpoint_addresses(slices)
    assert len(addresses) == len(names), "one endpoint per solver Pod"
    for address in addresses:
        assert ipaddress.ip_address(address) in env.pod_network.subnet
    running: list[dict[str, Any]] = [p for _, p in pods.events if (p.get("status") or {}).get("podIP")]
    assert {p["status"]["podIP"] for p in running} == addresses
    assert {p["spec"]["nodeName"] for p in running} == {"evercert-solverhost"}
    # Traefik's access log: Pebble's validations answered 200 by a backend at a Pod's address.
    routed = re.findall(
        r'"GET /\.well-known/acme-challenge/\S+ HTTP/1\.1" 200 .*"http://([\d.]+):8089"',
        env.traefik.server.log_path.read_text(),
    )
    assert addresses <= set(routed)


def test_a_pod_network_is_reachable_from_the_host_only_and_leaves_nothing_behind() -> None:
    first, second = PodNetwork.create(), PodNetwork.create()
    try:
        assert first.slot != second.slot and not first.subnet.overlaps(second.subnet)
        assert {first.namespace, second.namespace} <= set(namespaces())
        address = str(first.subnet[100])
        add = ["ip", "-n", first.namespace, "addr", "add", f"{address}/32", "dev", POD_INTERFACE]
        subprocess.run(add, check=True)
        # A process in the namespace answers on the Pod's address, seen from the host.
        listener = subprocess.Popen(
            ["ip", "netns", "exec", first.namespace, "python3", "-c", LISTEN_ONCE, address],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert listener.stdout is not None and listener.stdout.readline().strip() == "listening"
        reply = subprocess.run(
            ["python3", "-c", CONNECT, address], capture_output=True, text=True, timeout=10, check=True
        )
        assert reply.stdout.strip() == "hello"
        listener.wait(10)
        # The namespace has no route beyond its subnet: nothing leaves through it.
        routes = subprocess.run(
            ["ip", "-n", first.namespace, "route"], capture_output=True, text=True, check=True
        ).stdout
        assert "default" not in routes
    finally:
        first.remove()
        second.remove()
    for network in (first, second):
        assert network.namespace not in namespaces()
        assert not link_exists(network.host_link)


LISTEN_ONCE = """
import socket, sys
server = socket.create_server((sys.argv[1], 8089))
print("listening", flush=True)
connection, _ = server.accept()
connection.sendall(b"hello")
connection.close()
"""

CONNECT = """
import socket, sys
with socket.create_connection((sys.argv[1], 8089), timeout=5) as connection:
    print(connection.recv(16).decode())
"""
