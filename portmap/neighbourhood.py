"""Read what each device knows of its neighbourhood: interfaces, learned MACs, ARP, LLDP and CDP.

These tables change slowly, so they are read on their own, not with every counter poll.
One device failing never stops the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import networkx as nx

from portmap.core.placement import HostLocation, PortKey, find_uplinks, place_hosts
from portmap.core.samples import InterfaceInfo
from portmap.core.topology import build_topology
from portmap.core.tables import ArpEntry, FdbEntry, Neighbor
from portmap.dns import ReverseDns
from portmap.errors import SnmpError
from portmap.inventory.model import Device
from portmap.snmp.bridge import FdbReading, read_fdb
from portmap.snmp.cdp import read_cdp
from portmap.snmp.ifmib import read_interfaces
from portmap.snmp.ipmib import read_arp
from portmap.snmp.lag import read_aggregates
from portmap.snmp.lldp import read_local_chassis, read_lldp
from portmap.snmp.session import SnmpClient


@dataclass(frozen=True, slots=True)
class DeviceTables:
    device: str
    interfaces: dict[int, InterfaceInfo]
    fdb: list[FdbEntry]
    arp: list[ArpEntry]
    neighbors: list[Neighbor]
    chassis_id: str
    """Its own LLDP chassis ID: another address by which other switches learn it."""
    fdb_source: str = "none"
    aggregates: Mapping[int, int] = field(default_factory=dict)
    """Member ifIndex -> its aggregate's (port-channel) ifIndex."""
    problems: tuple[str, ...] = ()
    """What was read only in part, or could not be tied together, in words for the operator."""


async def read_tables(client: SnmpClient, device: Device) -> DeviceTables | SnmpError:
    session = client.session(device)
    try:
        interfaces = await read_interfaces(session)
        fdb = await read_fdb(session) if "switch" in device.roles else FdbReading()
        arp = await read_arp(session) if "router" in device.roles else []
        neighbors = await read_lldp(session, interfaces) + await read_cdp(session, interfaces)
        chassis_id = await read_local_chassis(session)
        aggregates = await read_aggregates(session)
    except SnmpError as error:
        return error
    return DeviceTables(device.name, interfaces, fdb.entries, arp, neighbors, chassis_id, fdb.source, aggregates,
                        tuple(fdb.problems))


async def read_all_tables(
    client: SnmpClient, devices: Sequence[Device]
) -> tuple[list[DeviceTables], list[SnmpError]]:
    """Every device's tables, read side by side: those read, and the errors of those that failed."""
    results = await asyncio.gather(*(read_tables(client, d) for d in devices))
    return [r for r in results if isinstance(r, DeviceTables)], [r for r in results if isinstance(r, SnmpError)]


async def read_all_tables_once(devices: Sequence[Device]) -> tuple[list[DeviceTables], list[SnmpError]]:
    """read_all_tables on an SNMP client of its own, closed afterwards (for one-shot commands)."""
    client = SnmpClient()
    try:
        return await read_all_tables(client, devices)
    finally:
        client.close()


def port_names(tables: Sequence[DeviceTables]) -> dict[PortKey, str]:
    return {(t.device, i): info.if_name for t in tables for i, info in t.interfaces.items()}


def roles_of(devices: Sequence[Device]) -> dict[str, list[str]]:
    return {d.name: sorted(d.roles) for d in devices}


def topology(devices: Sequence[Device], tables: Sequence[DeviceTables], with_hosts: bool) -> nx.Graph:
    """The inventoried devices, the LLDP/CDP links between them and, if asked, the placed hosts."""
    graph = map_neighbourhood(tables, roles_of(devices)).graph
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
    names: Mapping[str, str] = field(default_factory=dict)
    """Host IP -> reverse DNS name, where looked up and found."""

    def hosts_on(self, port: PortKey) -> list[HostLocation]:
        return [h for h in self.hosts.values() if h.port == port]

    def name_of(self, host: HostLocation) -> str | None:
        return next((self.names[ip] for ip in host.ips if ip in self.names), None)


async def with_names(neighbourhood: Neighbourhood, dns: ReverseDns | None) -> Neighbourhood:
    """The neighbourhood with its hosts' reverse DNS names (none when `dns` is None: --no-dns)."""
    if dns is None:
        return neighbourhood
    names = await dns.names(ip for host in neighbourhood.hosts.values() for ip in host.ips)
    return replace(neighbourhood, names=names)


async def read_neighbourhood(client: SnmpClient, devices: Sequence[Device], dns: ReverseDns | None) -> Neighbourhood:
    """Who is behind each port, from the devices that answered; the failures show in the poll."""
    tables, _ = await read_all_tables(client, devices)
    return await with_names(map_neighbourhood(tables, roles_of(devices)), dns)


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
    return Neighbourhood(uplinks, hosts, neighbors, graph)
