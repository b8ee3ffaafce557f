"""IP-MIB's ARP/ND cache: ipNetToPhysicalTable (IPv4 and IPv6), else ipNetToMediaTable."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

from portmap.core.neighbourhood import DeviceTables
from portmap.core.tables import ArpEntry, mac_text
from portmap.snmp import oids
from portmap.snmp.reader import TableReader
from portmap.snmp.session import DeviceSession

IPV4, IPV6 = 1, 2
"""InetAddressType values."""


def _physical_index(index: tuple[int, ...]) -> tuple[int, str] | None:
    """ifIndex.addressType.length.address... -> (ifIndex, address text)."""
    if len(index) < 3:
        return None
    if_index, kind, length, address = index[0], index[1], index[2], bytes(index[3:])
    if len(address) != length or (kind, length) not in ((IPV4, 4), (IPV6, 16)):
        return None
    return if_index, str(ipaddress.ip_address(address))


async def read_arp(session: DeviceSession) -> list[ArpEntry]:
    table = await session.walk([oids.ipNetToPhysicalPhysAddress.oid])
    entries = []
    for index, value in table[oids.ipNetToPhysicalPhysAddress.oid].items():
        where = _physical_index(index)
        if where is not None and isinstance(value, bytes) and len(value) == 6:
            entries.append(ArpEntry(where[1], mac_text(value), where[0]))
    if entries:
        return entries
    media = await session.walk([oids.ipNetToMediaPhysAddress.oid])
    for index, value in media[oids.ipNetToMediaPhysAddress.oid].items():
        if len(index) == 5 and isinstance(value, bytes) and len(value) == 6:
            entries.append(ArpEntry(".".join(map(str, index[1:])), mac_text(value), index[0]))
    return entries


async def _into(session: DeviceSession, tables: DeviceTables) -> DeviceTables:
    return replace(tables, arp=await read_arp(session))


READER = TableReader("ARP/ND", (oids.ipNetToPhysicalPhysAddress, oids.ipNetToMediaPhysAddress), frozenset({"router"}), _into)
