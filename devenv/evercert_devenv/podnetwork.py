"""A network namespace of the test bed's own, where solver Pods get their addresses.

An ingress controller routes to the addresses in EndpointSlices, and the apiserver refuses loopback
ones there. So each environment takes one slot of 10.244.0.0/16 (a /20, held by a lock file while it
runs), makes a namespace with one end of a veth pair in it and keeps the other end on the host. The
addresses exist only on that pair: the host does not forward, and the namespace has no other route.
"""

from __future__ import annotations

import asyncio
import fcntl
import ipaddress
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import IO

POD_RANGE = ipaddress.IPv4Network("10.244.0.0/16")
SLOT_PREFIX = 20  # 16 environments at once, 4000 Pod addresses each
LOCK_DIR = Path("/run/evercert-podnetwork")
POD_INTERFACE = "eth0"  # its name inside the namespace
FIRST_POD_HOST = 16  # the host end is .1, the inner end .2; Pods get addresses from here on

log = logging.getLogger("evercert_devenv.podnetwork")


class PodNetworkUnavailable(RuntimeError):
    """The namespace cannot be made here (not root, no `ip`, no free slot, or the kernel refused)."""


def ip(*args: str) -> None:
    """Run `ip` (iproute2); raise PodNetworkUnavailable with its error."""
    result = subprocess.run(["ip", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise PodNetworkUnavailable(f"ip {' '.join(args)}: {result.stderr.strip()}")


async def run_ip(*args: str) -> None:
    """`ip` with these arguments, from an event loop; a failure is logged, not raised."""
    process = await asyncio.create_subprocess_exec("ip", *args, stderr=asyncio.subprocess.PIPE)
    _, err = await process.communicate()
    if process.returncode != 0:
        log.warning("ip %s: %s", " ".join(args), err.decode().strip())


def pod_addresses(subnet: ipaddress.IPv4Network) -> list[str]:
    """The addresses the solver host may give Pods in `subnet`."""
    return [str(address) for address in list(subnet.hosts())[FIRST_POD_HOST - 1 :]]


@dataclass
class PodNetwork:
    slot: int
    lock: IO[str] | None = None

    @property
    def namespace(self) -> str:
        return f"evercert-pods-{self.slot}"

    @property
    def host_link(self) -> str:
        return f"evcpods{self.slot}"

    @property
    def subnet(self) -> ipaddress.IPv4Network:
        return list(POD_RANGE.subnets(new_prefix=SLOT_PREFIX))[self.slot]

    @property
    def host_address(self) -> str:
        return str(self.subnet[1])

    @classmethod
    def create(cls) -> PodNetwork:
        """Take a free slot and make its namespace; raise PodNetworkUnavailable when that cannot be."""
        if os.geteuid() != 0:
            raise PodNetworkUnavailable("making a network namespace needs root")
        if shutil.which("ip") is None:
            raise PodNetworkUnavailable("`ip` (iproute2) is not installed")
        LOCK_DIR.mkdir(parents=True, exist_ok=True)
        for slot in range(2 ** (SLOT_PREFIX - POD_RANGE.prefixlen)):
            lock = (LOCK_DIR / f"{slot}.lock").open("w")
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.close()
                continue
            network = cls(slot, lock)
            try:
                network.remove_leftovers()
                network.setup()
            except BaseException:
                network.remove()
                raise
            return network
        raise PodNetworkUnavailable(f"every slot of {POD_RANGE} is in use")

    def setup(self) -> None:
        ip("netns", "add", self.namespace)
        ip(
            "link",
            "add",
            self.host_link,
            "type",
            "veth",
            "peer",
            "name",
            POD_INTERFACE,
            "netns",
            self.namespace,
        )
        ip("addr", "add", f"{self.host_address}/{SLOT_PREFIX}", "dev", self.host_link)
        ip("link", "set", self.host_link, "up")
        ip("-n", self.namespace, "link", "set", "lo", "up")
        ip("-n", self.namespace, "link", "set", POD_INTERFACE, "up")
        # Pods get /32 addresses one by one. This one stays, and with it the route back to the host
        # end: the kernel drops a device's routes when its last address goes.
        ip("-n", self.namespace, "addr", "add", f"{self.subnet[2]}/{SLOT_PREFIX}", "dev", POD_INTERFACE)

    def remove_leftovers(self) -> None:
        """What a run killed before it could clean up left in this slot (its lock died with it)."""
        subprocess.run(["ip", "link", "del", self.host_link], capture_output=True)
        subprocess.run(["ip", "netns", "del", self.namespace], capture_output=True)

    def remove(self) -> None:
        """Delete the pair and the namespace (stop the processes inside first), and free the slot."""
        self.remove_leftovers()
        if self.lock is not None:
            self.lock.close()
            self.lock = None
