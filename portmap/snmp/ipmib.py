"""IP-MIB's ARP/ND cache: ipNetToPhysicalTable (IPv4 and IPv6) and ipNetToMediaTable (IPv4).

Both are read, always: on Cisco IOS 12.2-era switches, Ruijie and some Huawei,
ipNetToPhysicalTable holds only the IPv6 neighbours (or a handful of IPv4 ones) while the
IPv4 ARP cache is in ipNetToMediaTable. Entries are merged by (IP, ifIndex), the newer
table's where both have one.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace

from portmap.core.neighbourhood import DeviceTables
from portmap.core.tables import ArpEntry, mac_text
from portmap.snmp import oids
from portmap.snmp.reader import TableReader
from portmap.snmp.session import DeviceSession
from portmap.snmp.values import index_octets

IPV4, IPV6 = 1, 2
"""InetAddressType values."""


def _physical_index(index: tuple[int, ...]) -> tuple[int, str] | None:
    """ifIndex.addressType.length.address... -> (ifIndex, address text)."""
    if len(index) < 3:
        return None
    if_index, kind, length, address = index[0], index[1], index[2], index_octets(index[3:])
    if address is None or len(address) != length or (kind, length) not in ((IPV4, 4), (IPV6, 16)):
        return None
    return if_index, str(ipaddress.ip_address(address))


async def read_arp(session: DeviceSession) -> list[ArpEntry]:
    physical = await session.walk([oids.ipNetToPhysicalPhysAddress.oid])
    entries: dict[tuple[str, int], ArpEntry] = {}
    for index, value in physical[oids.ipNetToPhysicalPhysAddress.oid].items():
        where = _physical_index(index)
        if where is not None and isinstance(value, bytes) and len(value) == 6:
            entries[(where[1], where[0])] = ArpEntry(where[1], mac_text(value), where[0], "ipNetToPhysical")
    media = await session.walk([oids.ipNetToMediaPhysAddress.oid])
    for index, value in media[oids.ipNetToMediaPhysAddress.oid].items():
        if len(index) == 5 and index_octets(index[1:]) is not None and isinstance(value, bytes) and len(value) == 6:
            ip = ".".join(map(str, index[1:]))
            entries.setdefault((ip, index[0]), ArpEntry(ip, mac_text(value), index[0], "ipNetToMedia"))
    return list(entries.values())


async def read_addresses(session: DeviceSession) -> dict[int, tuple[str, ...]]:
    """The device's own addresses by ifIndex, from ipAddressTable (IPv4 and IPv6) and the older
    ipAddrTable (IPv4); loopback and link-local addresses left out."""
    table = await session.walk([oids.ipAddressIfIndex.oid, oids.ipAdEntIfIndex.oid])
    found: dict[int, set[str]] = {}
    for index, if_index in table[oids.ipAddressIfIndex.oid].items():
        where = _physical_index((0, *index))
        if where is not None and isinstance(if_index, int) and not _local(where[1]):
            found.setdefault(if_index, set()).add(where[1])
    for index, if_index in table[oids.ipAdEntIfIndex.oid].items():
        ip = ".".join(map(str, index))
        if len(index) == 4 and index_octets(index) is not None and isinstance(if_index, int) and not _local(ip):
            found.setdefault(if_index, set()).add(ip)
    return {if_index: tuple(sorted(ips)) for if_index, ips in found.items()}


def _local(ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    return address.is_loopback or address.is_link_local


async def _arp_into(session: DeviceSession, tables: DeviceTables) -> DeviceTables:
    return replace(tables, arp=await read_arp(session))


async def _addresses_into(session: DeviceSession, tables: DeviceTables) -> DeviceTables:
    return replace(tables, addresses=await read_addresses(session))


READER = TableReader("ARP/ND", (oids.ipNetToPhysicalPhysAddress, oids.ipNetToMediaPhysAddress), frozenset({"router"}), _arp_into)
ADDRESSES = TableReader("IP addresses", (oids.ipAddressIfIndex, oids.ipAdEntIfIndex), frozenset(), _addresses_into)
