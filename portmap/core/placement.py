"""Which ports are links between switches, and on which edge port each host really is.

The rules, after NAV's and Netdisco's:
1. A port is an uplink when LLDP or CDP shows an inventoried device behind it (by name or
   chassis MAC), or when it has learned the MAC of an inventoried device (a bridge address or an
   interface MAC, the router's included). The interface whose MAC that is, when it is the
   only interface with that MAC and a layer-3 interface (it has an IP address: it sources
   frames with its own MAC), is the link's other end, unless LLDP/CDP on the learning port
   shows another port of that device. A bridge member's MAC tells nothing of its port: a
   switch's CPU or management interface sends frames with one of its port MACs, and the
   upstream switch learns it on the real uplink. An aggregate (port-channel) with an uplink member is
   an uplink, and so is every member of an uplink aggregate: LLDP speaks on the members, while
   the switch learns MACs on the aggregate.
2. Every other port with learned MACs is an access port, however many MACs it has: hosts
   behind an unmanaged switch or an access point stay where they are.
3. A host is where its MAC is learned on an access port; seen on several, the port with the
   fewest MACs wins (the one nearest the host). Seen only on uplinks, it is reported with
   its sightings and no place, never dropped.
Devices' own addresses, VRRP/HSRP virtual MACs, group (multicast) MACs and the all-zero MAC are
not hosts; only learned entries count (a switch's own, management or permanent entries never
place a host nor make an uplink).
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from portmap.core.samples import InterfaceInfo, PortKey
from portmap.core.tables import ArpEntry, FdbEntry, Neighbor, neighbor_device

_VIRTUAL_PREFIXES = ("00:00:5e:00:01:", "00:00:5e:00:02:", "00:00:0c:07:ac:", "00:00:0c:9f:f")


@dataclass(frozen=True, slots=True)
class Sighting:
    device: str
    if_index: int | None
    vlan: int | None
    macs_on_port: int
    uplink: str
    """Why the port is an uplink; empty on an access port."""


@dataclass(frozen=True, slots=True)
class HostLocation:
    mac: str
    ips: tuple[str, ...]
    port: PortKey | None
    vlan: int | None
    sightings: tuple[Sighting, ...]
    reason: str


def is_group_mac(mac: str) -> bool:
    """The I/G bit: a multicast or broadcast address, never a station's."""
    return bool(int(mac[:2], 16) & 1)


def is_host_mac(mac: str) -> bool:
    return mac != "00:00:00:00:00:00" and not mac.startswith(_VIRTUAL_PREFIXES) and not is_group_mac(mac)


def find_uplinks(
    fdb: Mapping[str, Sequence[FdbEntry]],
    neighbors: Mapping[str, Sequence[Neighbor]],
    device_macs: Mapping[str, str],
    aggregates: Mapping[str, Mapping[int, int]] | None = None,
    interface_macs: Mapping[str, PortKey] | None = None,
    inventoried: Collection[str] = (),
    interfaces: Mapping[PortKey, InterfaceInfo] | None = None,
    problems: list[str] | None = None,
) -> dict[PortKey, str]:
    """Uplink ports with the evidence; `device_macs` maps each inventoried device's MACs to its
    name, `aggregates` each device's member ifIndexes to their aggregate's, `interface_macs` the
    MACs of layer-3 interfaces that belong to one interface only to that interface, `interfaces`
    every interface read (for its names). `inventoried`: every device of the inventory, read in
    this run or not: an LLDP/CDP neighbour that is one of them makes an uplink. Where two rules
    disagree, a line is added to `problems`."""
    devices = set(device_macs.values()) | set(inventoried)
    uplinks: dict[PortKey, str] = {}
    behind: dict[PortKey, tuple[str, str]] = {}
    """The inventoried device and its port that LLDP/CDP shows behind a port."""
    hosts_behind: dict[PortKey, str] = {}
    """What LLDP/CDP shows behind a port where that is no inventoried device."""
    for device, seen in neighbors.items():
        for neighbor in seen:
            if neighbor.local_if_index is None:
                continue
            port = (device, neighbor.local_if_index)
            other = neighbor_device(neighbor, devices, device_macs)
            if other is None:
                hosts_behind[port] = neighbor.remote_sysname or neighbor.remote_chassis_id
            elif other != device:
                behind[port] = (other, neighbor.remote_port)
                uplinks.setdefault(port, f"LLDP neighbour {other} {neighbor.remote_port}")
    for device, entries in fdb.items():
        for entry in entries:
            owner = device_macs.get(entry.mac)
            if not entry.learned or not owner or owner == device or entry.if_index is None or is_group_mac(entry.mac):
                continue
            port = (device, entry.if_index)
            if port not in uplinks and port in hosts_behind and problems is not None:
                problems.append(f"{device} ifIndex {entry.if_index}: LLDP shows {hosts_behind[port]} (not in the inventory) "
                                f"but it learns {owner}'s address {entry.mac}: taken for an uplink")
            uplinks.setdefault(port, f"learns {owner}'s address {entry.mac}")
            far_end = (interface_macs or {}).get(entry.mac)
            if far_end is None:
                continue
            seen_behind = behind.get(port)
            far_info = (interfaces or {}).get(far_end)
            far_names = (far_info.if_name, far_info.if_descr) if far_info else ()
            if seen_behind is not None and seen_behind[0] == far_end[0] and seen_behind[1] not in far_names:
                if problems is not None:
                    problems.append(f"{device} ifIndex {entry.if_index} learns {far_end[0]} ifIndex {far_end[1]}'s address "
                                    f"{entry.mac}, but LLDP there shows {seen_behind[0]} {seen_behind[1]}: "
                                    f"{far_end[0]} ifIndex {far_end[1]} is not taken for an uplink")
                continue
            uplinks.setdefault(far_end, f"its address {entry.mac} is learned by {device} ifIndex {entry.if_index}")
    for device, members in (aggregates or {}).items():
        for member, aggregate in members.items():
            if (device, member) in uplinks:
                uplinks.setdefault((device, aggregate), f"aggregate of uplink member ifIndex {member}: {uplinks[(device, member)]}")
        for member, aggregate in members.items():
            if (device, aggregate) in uplinks:
                uplinks.setdefault((device, member), f"member of uplink aggregate ifIndex {aggregate}: {uplinks[(device, aggregate)]}")
    return uplinks


def place_hosts(
    fdb: Mapping[str, Sequence[FdbEntry]],
    arp: Sequence[ArpEntry],
    uplinks: Mapping[PortKey, str],
    device_macs: Mapping[str, str],
) -> dict[str, HostLocation]:
    per_port = Tally((device, e.if_index) for device, entries in fdb.items() for e in entries if e.learned)
    ips: dict[str, list[str]] = {}
    for entry in arp:
        ips.setdefault(entry.mac, []).append(entry.ip)
    sightings: dict[str, list[Sighting]] = {}
    for device, entries in fdb.items():
        for e in entries:
            if e.learned and e.mac not in device_macs and is_host_mac(e.mac):  # group MACs and own entries never place
                uplink = uplinks.get((device, e.if_index), "") if e.if_index is not None else "bridge port without an interface"
                sightings.setdefault(e.mac, []).append(Sighting(device, e.if_index, e.vlan, per_port[(device, e.if_index)], uplink))
    hosts = {}
    for mac, seen in sightings.items():
        edge = sorted((s for s in seen if not s.uplink), key=lambda s: (s.macs_on_port, s.device))
        addresses = tuple(sorted(set(ips.get(mac, []))))
        if edge:
            best = edge[0]
            reason = f"learned on access port {best.device} ifIndex {best.if_index} ({best.macs_on_port} MAC{'' if best.macs_on_port == 1 else 's'} there)"
            if len(seen) > 1:
                reason += f"; also seen on {len(seen) - 1} uplink or busier port(s)"
            port = None if best.if_index is None else (best.device, best.if_index)
            hosts[mac] = HostLocation(mac, addresses, port, best.vlan, tuple(seen), reason)
        else:
            hosts[mac] = HostLocation(mac, addresses, None, seen[0].vlan, tuple(seen),
                                      "seen only on uplinks: behind a device portmap does not poll?")
    return hosts
