"""What the demo network's devices know about each other: forwarding tables, ARP, LLDP.

Pure data derived from the same DemoNetwork the traffic model uses, so that a host's
MAC is learned on the very port its traffic crosses, and the router's ARP entries and the
LLDP neighbours match the cabling.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import networkx as nx

from portmap.core.tables import ArpEntry, FdbEntry, Neighbor
from portmap.demo.network import DemoNetwork, DeviceSpec

VLAN = 1
GATEWAY_IP = "10.0.0.1"
"""The router's address on the hosts' LAN."""


def bridge_ports(device: DeviceSpec) -> dict[int, int]:
    """Bridge port -> ifIndex: ports numbered in order, so uplinks' numbers differ from their ifIndex."""
    return {number: port.if_index for number, port in enumerate(device.ports, start=1)}


def _cabling(network: DemoNetwork) -> nx.Graph:
    graph = nx.Graph()
    for link in network.links:
        graph.add_edge(link.a_device, link.b_device, ports={link.a_device: link.a_if_index, link.b_device: link.b_if_index})
    return graph


def forwarding_table(network: DemoNetwork, switch: str) -> list[FdbEntry]:
    """Every host, router and switch address as `switch` learned it, plus its own address."""
    graph = _cabling(network)
    spec = network.device(switch)
    port_of = {if_index: number for number, if_index in bridge_ports(spec).items()}

    def learned(mac: str, bridge_port: int) -> FdbEntry:
        return FdbEntry(mac, VLAN, bridge_port, bridge_ports(spec).get(bridge_port), "learned")

    def reaches(device: str) -> bool:
        return device != switch and switch in graph and device in graph and nx.has_path(graph, switch, device)

    def towards(device: str) -> int:
        next_hop = nx.shortest_path(graph, switch, device)[1]
        return port_of[graph.edges[switch, next_hop]["ports"][switch]]

    entries = [FdbEntry(spec.base_mac, VLAN, 0, None, "self")] if spec.base_mac else []
    for host in network.hosts:
        if host.switch == switch:
            entries.append(learned(host.mac, port_of[host.if_index]))
        elif reaches(host.switch):
            entries.append(learned(host.mac, towards(host.switch)))
    entries += [learned(other.base_mac, towards(other.name)) for other in network.devices if other.base_mac and reaches(other.name)]
    gateway_device, gateway_port = network.gateway
    if reaches(gateway_device):
        entries.append(learned(network.device(gateway_device).port(gateway_port).mac, towards(gateway_device)))
    return entries


def arp_table(network: DemoNetwork, router: str) -> list[ArpEntry]:
    """The gateway's ARP cache: every host on the LAN behind its LAN interface."""
    gateway_device, gateway_port = network.gateway
    if router != gateway_device:
        return []
    return [ArpEntry(host.ip, host.mac, gateway_port) for host in network.hosts]


def lldp_neighbours(network: DemoNetwork, device: str) -> list[Neighbor]:
    """Each cable seen from `device`'s end; LLDP port numbers equal ifIndexes here."""
    neighbours = []
    for link in network.links:
        for near, near_if, far, far_if in ((link.a_device, link.a_if_index, link.b_device, link.b_if_index),
                                           (link.b_device, link.b_if_index, link.a_device, link.a_if_index)):
            if near == device:
                far_spec = network.device(far)
                far_port = far_spec.port(far_if)
                neighbours.append(Neighbor("lldp", near_if, near_if, far, far_spec.base_mac, far_port.name, far_port.descr))
    return neighbours


@dataclass(frozen=True, slots=True)
class DeviceTables:
    bridge_ports: dict[int, int]
    fdb: list[FdbEntry]
    arp: list[ArpEntry]
    lldp: list[Neighbor]
    addresses: dict[int, str]
    """ifIndex -> the device's own IPv4 address there (the router's LAN interface)."""


def device_tables(network: DemoNetwork, device: str) -> DeviceTables:
    spec = network.device(device)
    is_switch = "switch" in spec.roles
    return DeviceTables(
        bridge_ports=bridge_ports(spec) if is_switch else {},
        fdb=forwarding_table(network, device) if is_switch else [],
        arp=arp_table(network, device) if "router" in spec.roles else [],
        lldp=lldp_neighbours(network, device),
        addresses={network.gateway[1]: GATEWAY_IP} if device == network.gateway[0] else {},
    )


def renumbered(tables: DeviceTables, new_if_index: Mapping[int, int]) -> DeviceTables:
    """The same tables with each ifIndex replaced by its new one (LLDP port numbers are ifIndexes here)."""
    def moved(if_index: int) -> int:
        return new_if_index.get(if_index, if_index)
    return DeviceTables(
        bridge_ports={number: moved(if_index) for number, if_index in tables.bridge_ports.items()},
        fdb=[replace(entry, if_index=None if entry.if_index is None else moved(entry.if_index)) for entry in tables.fdb],
        arp=[replace(entry, if_index=moved(entry.if_index)) for entry in tables.arp],
        lldp=[replace(n, local_port_num=moved(n.local_port_num), local_if_index=None if n.local_if_index is None else moved(n.local_if_index))
              for n in tables.lldp],
        addresses={moved(if_index): address for if_index, address in tables.addresses.items()},
    )
