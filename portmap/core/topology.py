"""The network as a graph: devices joined by the links LLDP and CDP show, hosts on their edge ports."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

import networkx as nx

from portmap.core.history import Link, Placement
from portmap.core.placement import HostLocation
from portmap.core.tables import Neighbor, neighbor_device


def build_topology(
    devices: Mapping[str, Sequence[str]],
    neighbors: Mapping[str, Sequence[Neighbor]],
    port_names: Mapping[tuple[str, int], str],
    device_macs: Mapping[str, str],
    hosts: Iterable[HostLocation] = (),
) -> nx.Graph:
    """`devices` maps each inventoried device to its roles, `device_macs` their MACs to their
    names. A link is drawn only between two inventoried devices; each end keeps its own port
    name. Hosts hang off their edge port."""
    graph = nx.Graph()
    for name, roles in devices.items():
        graph.add_node(name, kind="device", roles=",".join(sorted(roles)))
    for device, seen in neighbors.items():
        for neighbor in seen:
            other = neighbor_device(neighbor, devices, device_macs)
            if other is None or other == device or neighbor.local_if_index is None:
                continue
            local_port = port_names.get((device, neighbor.local_if_index), str(neighbor.local_if_index))
            ports = graph.edges[device, other]["ports"] if graph.has_edge(device, other) else {}
            ports[device] = local_port
            ports.setdefault(other, neighbor.remote_port)
            graph.add_edge(device, other, ports=ports)
    for edge in graph.edges:
        ports = graph.edges[edge]["ports"]
        graph.edges[edge]["label"] = " - ".join(f"{end} {ports[end]}" for end in sorted(ports))
    for host in hosts:
        if host.port is None:
            continue
        switch, if_index = host.port
        graph.add_node(host.mac, kind="host", ips=",".join(host.ips))
        graph.add_edge(host.mac, switch, label=f"{switch} {port_names.get(host.port, str(if_index))}")
    return graph


def topology_at(roles: Mapping[str, Sequence[str]], links: Iterable[Link], placements: Iterable[Placement] = (),
                ips: Mapping[str, Sequence[str]] | None = None) -> nx.Graph:
    """The graph build_topology draws, from what the history store kept of one moment: the links
    and the hosts' edge ports then (`ips`: each host's IPs then)."""
    graph = nx.Graph()
    for name, device_roles in roles.items():
        graph.add_node(name, kind="device", roles=",".join(sorted(device_roles)))
    for link in links:
        ports = {link.device_a: link.port_a, link.device_b: link.port_b}
        graph.add_edge(link.device_a, link.device_b, ports=ports,
                       label=" - ".join(f"{end} {ports[end]}" for end in sorted(ports)))
    for placement in placements:
        graph.add_node(placement.mac, kind="host", ips=",".join((ips or {}).get(placement.mac, ())))
        graph.add_edge(placement.mac, placement.device, label=f"{placement.device} {placement.port}")
    return graph


def path_between(graph: nx.Graph, source: str, target: str) -> list[str]:
    """The devices (and host MACs) on the way from one node to another; [] where there is none."""
    try:
        return list(nx.shortest_path(graph, source, target))
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return []


class FloodPath:
    """The order of the ports a flood crosses, along its way out from the entry port: by hops
    from the entry device, and on one device the port facing the entry first (its way in, then
    its ways out). Ports whose far end is unknown count as leading away."""

    def __init__(self, graph: nx.Graph, facing: Mapping[tuple[str, int], str]) -> None:
        """`graph`: the topology (build_topology); `facing`: each uplink port -> the inventoried device behind it."""
        self._devices = graph.subgraph(node for node, kind in graph.nodes(data="kind") if kind == "device")
        self._facing = facing
        self._hops: dict[str, dict[str, int]] = {}

    def order(self, entry_device: str) -> Callable[[tuple[str, int]], tuple[int, int]]:
        """A sort key for ports, from a flood entering at `entry_device`."""
        if entry_device not in self._hops:
            known = entry_device in self._devices
            self._hops[entry_device] = dict(nx.single_source_shortest_path_length(self._devices, entry_device)) if known else {entry_device: 0}
        hops, unknown = self._hops[entry_device], len(self._devices) + 1

        def key(port: tuple[str, int]) -> tuple[int, int]:
            here = hops.get(port[0], unknown)
            return here, hops.get(self._facing.get(port, ""), here + 1)

        return key


NO_PATH = FloodPath(nx.Graph(), {})
"""Before any table is read: no order from the path (the ports keep their rate order)."""
