"""Moving counters for the demo network: traffic integrated exactly over time.

Rates are constant within each second of model time (with deterministic noise per host
and second), so a counter read at any instant is the exact integral up to that instant.
Every host's traffic crosses the real path to the router, so edge ports, uplinks and the
router agree with each other the way real counters do.
"""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import networkx as nx

from portmap.core.samples import PortKey
from portmap.demo.network import DemoNetwork, DeviceSpec, HostSpec

FIELDS = (
    "in_octets", "out_octets", "in_ucast", "out_ucast", "in_mcast", "out_mcast",
    "in_bcast", "out_bcast", "in_errors", "out_errors", "in_discards", "out_discards",
)
_AT = {name: i for i, name in enumerate(FIELDS)}
BROADCAST_BYTES = 64.0


@dataclass(frozen=True, slots=True)
class Hop:
    """A port a host's traffic crosses; `sent_in` says which way its *sent* packets go there."""

    port: PortKey
    sent_in: bool


def _noise(name: str, second: int) -> float:
    """A repeatable factor in [0.75, 1.25] for a host in one second."""
    return 0.75 + 0.5 * (zlib.crc32(f"{name}:{second}".encode()) / 0xFFFFFFFF)


class TrafficModel:
    def __init__(self, network: DemoNetwork, clock: Callable[[], float] = time.monotonic) -> None:
        self.network = network
        self.clock = clock
        self.started = clock()
        self.ports: dict[PortKey, list[float]] = {
            (d.name, p.if_index): [0.0] * len(FIELDS) for d in network.devices for p in d.ports
        }
        self._graph = nx.Graph()
        for link in network.links:
            self._graph.add_edge(link.a_device, link.b_device, link=link)
        self._paths = {h.name: self._path(h) for h in network.hosts}
        self._broadcasts = {h.name: self._broadcast_hops(h) for h in network.hosts}
        self._integrated_s = 0.0
        self._boot_s = {d.name: 0.0 for d in network.devices}
        self._base = {key: [0.0] * len(FIELDS) for key in self.ports}

    def elapsed(self) -> float:
        return self.clock() - self.started

    def _link_ports(self, near: str, far: str) -> tuple[PortKey, PortKey]:
        link = self._graph.edges[near, far]["link"]
        if link.a_device == near:
            return (near, link.a_if_index), (far, link.b_if_index)
        return (near, link.b_if_index), (far, link.a_if_index)

    def _path(self, host: HostSpec) -> list[Hop]:
        hops = [Hop((host.switch, host.if_index), sent_in=True)]
        devices = nx.shortest_path(self._graph, host.switch, self.network.gateway[0])
        for near, far in zip(devices, devices[1:]):
            near_port, far_port = self._link_ports(near, far)
            hops += [Hop(near_port, sent_in=False), Hop(far_port, sent_in=True)]
        hops.append(Hop(self.network.upstream, sent_in=False))
        return hops

    def _broadcast_hops(self, host: HostSpec) -> list[Hop]:
        """Where one host's broadcast goes: out of every other port of the LAN, in across links."""
        hops = []
        link_ports = {port for near, far in self._graph.edges for port in self._link_ports(near, far)}
        for near, far in nx.bfs_edges(self._graph, host.switch):
            near_port, far_port = self._link_ports(near, far)
            hops += [Hop(near_port, sent_in=False), Hop(far_port, sent_in=True)]
        for device in nx.node_connected_component(self._graph, host.switch):
            spec = self.network.device(device)
            if "switch" not in spec.roles:
                continue
            hops += [
                Hop((device, p.if_index), sent_in=False) for p in spec.ports
                if p.up and (device, p.if_index) not in link_ports and (device, p.if_index) != (host.switch, host.if_index)
            ]
        return hops

    def _add(self, rates: dict[PortKey, list[float]], hops: list[Hop], sent: bool, kind: str, pps: float, size: float) -> None:
        for hop in hops:
            side = "in" if hop.sent_in == sent else "out"
            row = rates[hop.port]
            row[_AT[f"{side}_{kind}"]] += pps
            row[_AT[f"{side}_octets"]] += pps * size

    def rates_at(self, second: int) -> dict[PortKey, list[float]]:
        """Per-port rates (per second) during one second of model time."""
        rates = {key: [0.0] * len(FIELDS) for key in self.ports}
        for host in self.network.hosts:
            path = self._paths[host.name]
            factor = _noise(host.name, second)
            self._add(rates, path, True, "ucast", host.send_pps * factor, host.send_bytes)
            self._add(rates, path, False, "ucast", host.recv_pps * factor, host.recv_bytes)
            first_hop = [Hop((host.switch, host.if_index), sent_in=True)]
            self._add(rates, first_hop, True, "bcast", host.bcast_pps, BROADCAST_BYTES)
            self._add(rates, self._broadcasts[host.name], True, "bcast", host.bcast_pps, BROADCAST_BYTES)
        for flood in self.network.floods:
            overlap = flood.seconds_in(second, second + 1)
            if overlap > 0:
                host = next(h for h in self.network.hosts if h.name == flood.host)
                self._add(rates, self._paths[host.name], True, "ucast", flood.pps * overlap, flood.packet_bytes)
        return rates

    def _advance(self) -> None:
        target = self.elapsed()
        while self._integrated_s < target:
            second = math.floor(self._integrated_s)
            until = min(second + 1.0, target)
            span = until - self._integrated_s
            for key, row in self.rates_at(second).items():
                totals = self.ports[key]
                for i, rate in enumerate(row):
                    totals[i] += rate * span
            self._integrated_s = until

    def counters(self, device: str, if_index: int) -> dict[str, int]:
        """A port's counters since the device last booted, as whole numbers."""
        self._advance()
        key = (device, if_index)
        return {name: int(total - base) for name, total, base in zip(FIELDS, self.ports[key], self._base[key])}

    def uptime_cs(self, device: str) -> int:
        return int((self.elapsed() - self._boot_s[device]) * 100)

    def add_ports(self, spec: DeviceSpec) -> None:
        """Ports a device gained (a new line card, say) start with zero counters."""
        for port in spec.ports:
            self.ports.setdefault((spec.name, port.if_index), [0.0] * len(FIELDS))
            self._base.setdefault((spec.name, port.if_index), [0.0] * len(FIELDS))

    def restart(self, device: str) -> None:
        """The device reboots: sysUpTime and its counters start again from zero."""
        self._advance()
        self._boot_s[device] = self.elapsed()
        for key in self._base:
            if key[0] == device:
                self._base[key] = list(self.ports[key])
