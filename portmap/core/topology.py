"""The network as a graph: devices joined by the links LLDP and CDP show, hosts on their edge ports."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import networkx as nx

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


def path_between(graph: nx.Graph, source: str, target: str) -> list[str]:
    """The devices (and host MACs) on the way from one node to another; [] where there is none."""
    try:
        return list(nx.shortest_path(graph, source, target))
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return []
