"""Hosts for tests: Linux network namespaces on one bridge, each a machine with its own address.

``with hosts("db", "replica-1", "replica-2") as net:`` makes one network namespace per name
(``ip netns add``), its loopback up and a veth pair from it to a bridge of the root namespace,
which holds the subnet's first address: the test process reaches every host, and the hosts
reach each other, over the bridge, as machines on one LAN. ``net["db"].command(...)`` runs a
program on a host (``ip netns exec``); when the block ends, even by an exception, every
process left on a host is killed and the namespaces and the bridge are deleted.

It needs root and ``ip`` (iproute2): :func:`netns_unavailable` says why not, for a skip.
Names carry this process's id, so two test processes (pytest-xdist) never share a host.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True)


def netns_unavailable() -> str | None:
    """Why network namespaces cannot be made here (not root, no ``ip``), or None if they can."""
    if shutil.which("ip") is None:
        return "no `ip` command (iproute2) to make network namespaces"
    if os.geteuid() != 0:
        return "network namespaces (ip netns add) need root"
    probe = f"prodml-probe-{os.getpid()}"
    made = _ip("netns", "add", probe, check=False)
    if made.returncode:
        return f"ip netns add failed: {made.stderr.strip()}"
    _ip("netns", "del", probe, check=False)
    return None


@dataclass(frozen=True)
class Host:
    """One network namespace: its name and its address on the bridge."""

    name: str
    address: str

    def command(self, *args: str) -> list[str]:
        """``args`` run on this host: ``["ip", "netns", "exec", name, *args]``."""
        return ["ip", "netns", "exec", self.name, *args]

    def pids(self) -> list[int]:
        """The processes running on this host."""
        return [int(pid) for pid in _ip("netns", "pids", self.name).stdout.split()]

    def kill_all(self) -> int:
        """SIGKILL every process on this host, as a machine that loses power; return how many."""
        pids = self.pids()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return len(pids)


@dataclass(frozen=True)
class Network:
    """The hosts by name, the bridge's address (the test process's side) and the subnet."""

    hosts: dict[str, Host]
    gateway: str
    subnet: str

    def __getitem__(self, name: str) -> Host:
        return self.hosts[name]


def _free_subnet() -> ipaddress.IPv4Network:
    """A /24 of 10.200.0.0/13 that no interface here uses, picked from this process's id."""
    used = _ip("-4", "-o", "addr").stdout
    for offset in range(256 * 8):
        index = (os.getpid() + offset) % (256 * 8)
        subnet = ipaddress.IPv4Network(f"10.{200 + index // 256}.{index % 256}.0/24")
        if f" {subnet.network_address + 1}/" not in used:
            return subnet
    raise RuntimeError("No free /24 in 10.200.0.0/13 for the test hosts.")


@contextlib.contextmanager
def hosts(*names: str) -> Iterator[Network]:
    """Make one network namespace per name on a new bridge; delete them all at the end.

    Parameters
    ----------
    *names : str
        The hosts' names, e.g. ``"db"``; their addresses follow in that order.

    Yields
    ------
    Network
        The hosts by name.
    """
    tag = str(os.getpid())
    subnet = _free_subnet()
    addresses = subnet.hosts()
    gateway = str(next(addresses))
    bridge = f"pb{tag}"
    made: list[Host] = []
    try:
        _ip("link", "add", bridge, "type", "bridge")
        _ip("addr", "add", f"{gateway}/{subnet.prefixlen}", "dev", bridge)
        _ip("link", "set", bridge, "up")
        for index, name in enumerate(names):
            host = Host(f"prodml-{tag}-{name}", str(next(addresses)))
            _ip("netns", "add", host.name)
            made.append(host)
            outside = f"pv{tag}x{index}"
            _ip("link", "add", outside, "type", "veth", "peer", "name", "eth0", "netns", host.name)
            _ip("link", "set", outside, "master", bridge, "up")
            _ip("-n", host.name, "addr", "add", f"{host.address}/{subnet.prefixlen}", "dev", "eth0")
            _ip("-n", host.name, "link", "set", "eth0", "up")
            _ip("-n", host.name, "link", "set", "lo", "up")
        yield Network({n: h for n, h in zip(names, made, strict=False)}, gateway, str(subnet))
    finally:
        for host in made:
            with contextlib.suppress(subprocess.CalledProcessError):
                host.kill_all()
            _ip("netns", "del", host.name, check=False)  # its veth pair goes with it
        _ip("link", "del", bridge, check=False)
