"""CISCO-CDP-MIB neighbours: cdpCacheTable, indexed by the local ifIndex (CDP needs no port mapping)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import replace

from portmap.core.neighbourhood import DeviceTables
from portmap.core.samples import InterfaceInfo
from portmap.core.tables import Neighbor
from portmap.snmp import oids
from portmap.snmp.reader import TableReader
from portmap.snmp.session import DeviceSession
from portmap.snmp.values import SnmpValue, shown_id, text

CDP_ADDRESS_IP = 1
_COLUMNS = (oids.cdpCacheAddressType, oids.cdpCacheAddress, oids.cdpCacheDeviceId, oids.cdpCacheDevicePort, oids.cdpCachePlatform)


def _address(kind: SnmpValue, address: SnmpValue) -> str:
    if kind == CDP_ADDRESS_IP and isinstance(address, bytes) and len(address) == 4:
        return str(ipaddress.ip_address(address))
    return ""


async def read_cdp(session: DeviceSession, interfaces: Mapping[int, InterfaceInfo]) -> list[Neighbor]:
    table = await session.walk([column.oid for column in _COLUMNS])
    column = {c.name: table[c.oid] for c in _COLUMNS}
    neighbors = []
    for index, device_id in column["cdpCacheDeviceId"].items():
        if len(index) != 2:
            continue
        neighbors.append(Neighbor(
            protocol="cdp",
            local_port_num=index[0],
            local_if_index=index[0] if index[0] in interfaces else None,
            remote_sysname=shown_id(device_id),
            remote_chassis_id="",
            remote_port=shown_id(column["cdpCacheDevicePort"].get(index)),
            remote_port_desc="",
            remote_address=_address(column["cdpCacheAddressType"].get(index), column["cdpCacheAddress"].get(index)),
            platform=text(column["cdpCachePlatform"].get(index)),
        ))
    return neighbors


async def _into(session: DeviceSession, tables: DeviceTables) -> DeviceTables:
    return replace(tables, neighbors=tables.neighbors + await read_cdp(session, tables.interfaces))


READER = TableReader("CDP neighbours", (oids.cdpCacheDeviceId, oids.cdpCacheDevicePort, oids.cdpCachePlatform,
                                        oids.cdpCacheAddressType, oids.cdpCacheAddress), frozenset(), _into)
