"""Who is behind each port, from every device's tables at once: uplinks, placed hosts, links.

Pure: the tables come in read (portmap/engine/tables.py reads them), the neighbourhood goes out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import networkx as nx

from portmap.core.placement import HostLocation, PortKey, find_uplinks, place_hosts
from portmap.core.samples import InterfaceInfo, InterfacesByPort
from portmap.core.tables import ArpEntry, FdbEntry, Neighbor, neighbor_device
from portmap.core.topology import FloodPath, build_topology


@dataclass(frozen=True, slots=True)
class DeviceTables:
    device: str
    interfaces: dict[int, InterfaceInfo] = field(default_factory=dict)
    fdb: list[FdbEntry] = field(default_factory=list)
    arp: list[ArpEntry] = field(default_factory=list)
    neighbors: list[Neighbor] = field(default_factory=list)
    chassis_id: str = ""
    """Its own LLDP chassis ID: another address by which other switches learn it."""
    fdb_source: str = "none"
    aggregates: Mapping[int, int] = field(default_factory=dict)
    """Member ifIndex -> its aggregate's (port-channel) ifIndex."""
    addresses: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    """ifIndex -> the device's own IP addresses on it (its layer-3 interfaces)."""
    problems: tuple[str, ...] = ()
    """What was read only in part, or could not be tied together, in words for the operator."""
    unread: tuple[str, ...] = ()
    """The tables (readers' names) the device did not answer for, although it answered others."""


def port_names(tables: Sequence[DeviceTables]) -> dict[PortKey, str]:
    return {(t.device, i): info.if_name for t in tables for i, info in t.interfaces.items()}


def topology(tables: Sequence[DeviceTables], roles: Mapping[str, Sequence[str]], with_hosts: bool,
             unanswered: Mapping[str, str] | None = None) -> nx.Graph:
    """The inventoried devices, the LLDP/CDP links between them and, if asked, the placed hosts.
    Each device node says whether it was read (`read`: yes, partly, no or "not asked") and, if
    not wholly, why (`problem`): a device without links may only be one that did not answer.
    `unanswered`: the devices that did not answer -> why."""
    graph = map_neighbourhood(tables, roles).graph
    if not with_hosts:
        graph.remove_nodes_from([node for node, kind in graph.nodes(data="kind") if kind == "host"])
    read = {t.device: t for t in tables}
    unanswered = unanswered or {}
    for device in roles:
        node = graph.nodes[device]
        if device in read and read[device].unread:
            node.update(read="partly", problem=f"{', '.join(read[device].unread)} not read")
        elif device in read:
            node.update(read="yes")
        elif device in unanswered:
            node.update(read="no", problem=unanswered[device])
        else:
            node.update(read="not asked")
    return graph


@dataclass(frozen=True, slots=True)
class Neighbourhood:
    """Who is behind each port, from every device's tables at once."""

    uplinks: dict[PortKey, str]
    hosts: dict[str, HostLocation]
    neighbors: dict[PortKey, Neighbor]
    graph: nx.Graph
    """Devices, the links between them, and the placed hosts (portmap/core/topology.py)."""
    interfaces: Mapping[PortKey, InterfaceInfo] = field(default_factory=dict)
    """Every interface read, by port."""
    names: Mapping[str, str] = field(default_factory=dict)
    """Host IP -> reverse DNS name, where looked up and found."""
    problems: tuple[str, ...] = ()
    """Where the rules that find uplinks disagree, in words for the operator."""
    facing: Mapping[PortKey, str] = field(default_factory=dict)
    """Each port where LLDP/CDP shows another inventoried device -> that device."""
    read_at: float = 0.0
    """When its tables were asked for (epoch seconds): what they hold was there then, or a
    little later (the history keeps a host's last sighting on a port no later than this)."""

    def flood_path(self) -> FloodPath:
        return FloodPath(self.graph, self.facing)

    def hosts_on(self, port: PortKey) -> list[HostLocation]:
        return [h for h in self.hosts.values() if h.port == port]

    def name_of(self, host: HostLocation) -> str | None:
        return next((self.names[ip] for ip in host.ips if ip in self.names), None)


def device_macs(tables: Sequence[DeviceTables]) -> dict[str, str]:
    """Every MAC of an inventoried device (interfaces, bridge address, LLDP chassis) -> its name."""
    macs = {i.mac: t.device for t in tables for i in t.interfaces.values() if i.mac}
    macs.update({t.chassis_id: t.device for t in tables if len(t.chassis_id) == 17})
    macs.update({e.mac: t.device for t in tables for e in t.fdb if e.status == "self"})
    return macs


def interface_macs(tables: Sequence[DeviceTables]) -> dict[str, PortKey]:
    """MAC -> the one layer-3 interface (with an IP address) that has it. MACs shared by several
    interfaces (SVIs share one) are left out, and so are bridge members': a switch's CPU or
    management interface sends frames with one of its port MACs without that port leading anywhere."""
    ports: dict[str, list[PortKey]] = {}
    for t in tables:
        for info in t.interfaces.values():
            if info.mac:
                ports.setdefault(info.mac, []).append((t.device, info.if_index))
    addressed = {(t.device, if_index) for t in tables for if_index in t.addresses}
    return {mac: where[0] for mac, where in ports.items() if len(where) == 1 and where[0] in addressed}


def map_neighbourhood(tables: Sequence[DeviceTables], roles: Mapping[str, Sequence[str]] | None = None) -> Neighbourhood:
    """`roles`: every inventoried device's roles, those read or not (a subset may be polled):
    for the graph, and so that a port whose neighbour is an inventoried device is an uplink."""
    owners = device_macs(tables)
    fdb = {t.device: t.fdb for t in tables}
    seen = {t.device: t.neighbors for t in tables}
    interfaces = InterfacesByPort({t.device: t.interfaces for t in tables})
    problems: list[str] = []
    uplinks = find_uplinks(fdb, seen, owners, {t.device: t.aggregates for t in tables}, interface_macs(tables),
                           set(roles or ()), interfaces, problems)
    hosts = place_hosts(fdb, [e for t in tables for e in t.arp], uplinks, owners)
    neighbors = {(t.device, n.local_if_index): n for t in tables for n in t.neighbors if n.local_if_index is not None}
    all_roles = {t.device: () for t in tables} | dict(roles or {})
    graph = build_topology(all_roles, seen, port_names(tables), owners, hosts.values())
    facing = {port: other for port, n in neighbors.items()
              if (other := neighbor_device(n, all_roles, owners)) is not None and other != port[0]}
    return Neighbourhood(uplinks, hosts, neighbors, graph, interfaces, problems=tuple(problems), facing=facing)
