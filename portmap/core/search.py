"""What a query names: a MAC in any notation, an IP, a DNS name, a port's name or its description.

A query can name a host (placed on its edge port), an inventoried device's own MAC (learned on
the ports that lead to it), or ports (by name, "acc1 Gi1/0/5" or "Gi1/0/5", or by a part of
their description), whose hosts come with them. Ports named or described are found even with no
host behind them (an uplink, an empty port): "not found" is said only of what is not there.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field

import netaddr

from portmap.core.neighbourhood import DeviceTables, Neighbourhood, device_macs
from portmap.core.placement import HostLocation, PortKey


def normalise_mac(query: str) -> str | None:
    """Any common notation (aa:bb:.., aa-bb-.., aabb.ccdd.eeff, aabbccddeeff) -> aa:bb:cc:dd:ee:ff."""
    if not netaddr.valid_mac(query):
        return None
    return str(netaddr.EUI(query, version=48, dialect=netaddr.mac_unix_expanded))


def normalise_ip(query: str) -> str | None:
    try:
        return str(ipaddress.ip_address(query))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class DeviceMac:
    """A MAC that belongs to an inventoried device (an interface, its bridge, its LLDP chassis)."""

    device: str
    interface: PortKey | None
    """The device's interface with this MAC, where one has it."""
    learned_on: tuple[PortKey, ...]
    """Other devices' ports that learned it: the way to that device."""


@dataclass(frozen=True, slots=True)
class Found:
    query: str
    kind: str
    """What the query is: "mac", "ip" or "text" (a host name, a port name or a description)."""
    hosts: list[HostLocation] = field(default_factory=list)
    ports: list[PortKey] = field(default_factory=list)
    """Ports the query names or describes (text queries), with or without hosts."""
    device_mac: DeviceMac | None = None

    def __bool__(self) -> bool:
        return bool(self.hosts or self.ports or self.device_mac)


def find(query: str, neighbourhood: Neighbourhood, tables: Sequence[DeviceTables]) -> Found:
    mac = normalise_mac(query)
    if mac is not None:
        if mac in neighbourhood.hosts:
            return Found(query, "mac", [neighbourhood.hosts[mac]])
        return Found(query, "mac", device_mac=_device_mac(mac, tables))
    ip = normalise_ip(query)
    if ip is not None:
        return Found(query, "ip", [h for h in neighbourhood.hosts.values() if ip in h.ips])
    ports = _named_ports(query, neighbourhood)
    named = _named_hosts(query, neighbourhood)
    on_ports = [h for h in neighbourhood.hosts.values() if h.port in ports and h not in named]
    return Found(query, "text", named + on_ports, ports)


def _device_mac(mac: str, tables: Sequence[DeviceTables]) -> DeviceMac | None:
    owner = device_macs(tables).get(mac)
    if owner is None:
        return None
    interfaces = [(t.device, i) for t in tables if t.device == owner for i, info in t.interfaces.items() if info.mac == mac]
    learned = tuple(sorted((t.device, e.if_index) for t in tables for e in t.fdb
                           if e.mac == mac and e.learned and e.if_index is not None and t.device != owner))
    return DeviceMac(owner, interfaces[0] if len(interfaces) == 1 else None, learned)


def _named_hosts(query: str, neighbourhood: Neighbourhood) -> list[HostLocation]:
    """Hosts whose reverse DNS name is the query, whole or its first label."""
    needle = query.lower()

    def named(host: HostLocation) -> bool:
        name = (neighbourhood.name_of(host) or "").lower()
        return bool(name) and (name == needle or name.split(".")[0] == needle)

    return [h for h in neighbourhood.hosts.values() if named(h)]


def _named_ports(query: str, neighbourhood: Neighbourhood) -> list[PortKey]:
    """Ports whose name (ifName or ifDescr) is the query, on any device or on the device the query
    starts with ("acc1 Gi1/0/5"); else ports whose description holds it."""
    needle = query.lower()
    device, _, rest = needle.partition(" ")

    def named(port: PortKey, name: str) -> bool:
        name = name.lower()
        return bool(name) and (name == needle or (port[0].lower() == device and name == rest.strip()))

    by_name = [port for port, info in neighbourhood.interfaces.items() if named(port, info.if_name) or named(port, info.if_descr)]
    if by_name:
        return sorted(by_name)
    return sorted(port for port, info in neighbourhood.interfaces.items() if needle in info.alias.lower())
