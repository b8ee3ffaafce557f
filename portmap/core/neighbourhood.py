"""Who is behind each port, from every device's tables at once: uplinks, placed hosts, links.

Pure: the tables come in read (portmap/engine/tables.py reads them), the neighbourhood goes out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import networkx as nx

from portmap.core.placement import HostLocation, PortKey, find_uplinks, place_hosts
from portmap.core.samples import InterfaceInfo, InterfacesByPort
from portmap.core.tables import ArpEntry, FdbEntry, Neighbor
from portmap.core.topology import build_topology


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
    problems: tuple[str, ...] = ()
    """What was read only in part, or could not be tied together, in words for the operator."""


def port_names(tables: Sequence[DeviceTables]) -> dict[PortKey, str]:
    return {(t.device, i): info.if_name for t in tables for i, info in t.interfaces.items()}


def topology(tables: Sequence[DeviceTables], roles: Mapping[str, Sequence[str]], with_hosts: bool) -> nx.Graph:
    """The inventoried devices, the LLDP/CDP links between them and, if asked, the placed hosts."""
    graph = map_neighbourhood(tables, roles).graph
    if not with_hosts:
        graph.remove_nodes_from([node for node, kind in graph.nodes(data="kind") if kind == "host"])
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
    """MAC -> the one interface that has it (MACs shared by several interfaces, as SVIs share one, are left out)."""
    ports: dict[str, list[PortKey]] = {}
    for t in tables:
        for info in t.interfaces.values():
            if info.mac:
                ports.setdefault(info.mac, []).append((t.device, info.if_index))
    return {mac: where[0] for mac, where in ports.items() if len(where) == 1}


def map_neighbourhood(tables: Sequence[DeviceTables], roles: Mapping[str, Sequence[str]] | None = None) -> Neighbourhood:
    """`roles`: each inventoried device's roles, for the graph (devices not in it get none)."""
    owners = device_macs(tables)
    fdb = {t.device: t.fdb for t in tables}
    uplinks = find_uplinks(fdb, {t.device: t.neighbors for t in tables}, owners, {t.device: t.aggregates for t in tables},
                           interface_macs(tables))
    hosts = place_hosts(fdb, [e for t in tables for e in t.arp], uplinks, owners)
    neighbors = {(t.device, n.local_if_index): n for t in tables for n in t.neighbors if n.local_if_index is not None}
    all_roles = {t.device: () for t in tables} | dict(roles or {})
    graph = build_topology(all_roles, {t.device: t.neighbors for t in tables}, port_names(tables), owners, hosts.values())
    return Neighbourhood(uplinks, hosts, neighbors, graph, InterfacesByPort({t.device: t.interfaces for t in tables}))
