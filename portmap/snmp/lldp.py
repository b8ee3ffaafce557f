"""LLDP-MIB neighbours, with IDs decoded by subtype and local port numbers mapped to ifIndexes.

lldpRemLocalPortNum is an LLDP port number, not always an ifIndex: it is matched through
lldpLocPortTable's port ID (by its subtype: name, alias, MAC, or a local number) and
description against the interfaces, the way devices actually number them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import replace

from portmap.core.neighbourhood import DeviceTables
from portmap.core.samples import InterfaceInfo
from portmap.core.tables import Neighbor, mac_text
from portmap.snmp import oids
from portmap.snmp.reader import TableReader
from portmap.snmp.session import DeviceSession
from portmap.snmp.values import SnmpValue, index_octets, shown_id, text

CHASSIS_MAC, CHASSIS_NETWORK_ADDRESS = 4, 5
PORT_ALIAS, PORT_MAC, PORT_NETWORK_ADDRESS, PORT_NAME, PORT_LOCAL = 1, 3, 4, 5, 7
_REM_COLUMNS = (
    oids.lldpRemChassisIdSubtype, oids.lldpRemChassisId, oids.lldpRemPortIdSubtype,
    oids.lldpRemPortId, oids.lldpRemPortDesc, oids.lldpRemSysName, oids.lldpRemSysDesc,
)
IANA_IPV4, IANA_IPV6 = 1, 2


def decode_id(subtype: SnmpValue, value: SnmpValue, mac_subtype: int, address_subtype: int) -> str:
    """A chassis or port ID as an operator reads it: MAC, IP address, or text."""
    if not isinstance(value, bytes):
        return ""
    if subtype == mac_subtype and len(value) == 6:
        return mac_text(value)
    if subtype == address_subtype and len(value) in (5, 17):  # IANA address family byte, then the address
        return str(ipaddress.ip_address(value[1:]))
    return shown_id(value)


def local_if_index(port_num: int, subtype: SnmpValue, port_id: SnmpValue, port_desc: SnmpValue,
                   interfaces: Mapping[int, InterfaceInfo]) -> int | None:
    """Which interface an LLDP local port number stands for."""
    port_text = text(port_id)
    if subtype == PORT_MAC and isinstance(port_id, bytes) and len(port_id) == 6:
        candidates = [i for i in interfaces.values() if i.mac == mac_text(port_id)]
    elif subtype == PORT_ALIAS:
        candidates = [i for i in interfaces.values() if port_text and i.alias == port_text]
    elif subtype == PORT_LOCAL and port_text.isascii() and port_text.isdigit():  # '²' is a digit int() refuses
        candidates = [interfaces[int(port_text)]] if int(port_text) in interfaces else []
    else:
        candidates = [i for i in interfaces.values() if port_text and port_text in (i.if_name, i.if_descr)]
    if not candidates and text(port_desc):
        candidates = [i for i in interfaces.values() if text(port_desc) in (i.if_descr, i.if_name)]
    if len(candidates) == 1:
        return candidates[0].if_index
    return port_num if port_num in interfaces else None


async def read_local_chassis(session: DeviceSession) -> str:
    """This device's own LLDP chassis ID (a MAC on most switches), or '' where it has none."""
    subtype, chassis = oids.lldpLocChassisIdSubtype.instance(0), oids.lldpLocChassisId.instance(0)
    values = await session.get([subtype, chassis])
    return decode_id(values[subtype], values[chassis], CHASSIS_MAC, CHASSIS_NETWORK_ADDRESS)


def management_addresses(column: Mapping[tuple[int, ...], SnmpValue]) -> dict[tuple[int, ...], str]:
    """lldpRemManAddrTable: the first IP address each neighbour gives, by its lldpRemTable index.

    The address is in the row's index: timeMark.localPort.remIndex.family.length.address...
    """
    found: dict[tuple[int, ...], str] = {}
    for index in column:
        if len(index) < 5:
            continue
        family, length, address = index[3], index[4], index_octets(index[5:])
        if address is not None and len(address) == length and (family, length) in ((IANA_IPV4, 4), (IANA_IPV6, 16)):
            found.setdefault(index[:3], str(ipaddress.ip_address(address)))
    return found


async def read_lldp(session: DeviceSession, interfaces: Mapping[int, InterfaceInfo]) -> list[Neighbor]:
    local = await session.walk([oids.lldpLocPortIdSubtype.oid, oids.lldpLocPortId.oid, oids.lldpLocPortDesc.oid])
    remote = await session.walk([column.oid for column in _REM_COLUMNS])
    column = {c.name: remote[c.oid] for c in _REM_COLUMNS}
    addresses = management_addresses((await session.walk([oids.lldpRemManAddrIfSubtype.oid]))[oids.lldpRemManAddrIfSubtype.oid])
    neighbors = []
    for index in column["lldpRemChassisId"]:  # the one column every LLDP neighbour has
        if len(index) != 3:
            continue
        port_num = index[1]
        neighbors.append(Neighbor(
            protocol="lldp",
            local_port_num=port_num,
            local_if_index=local_if_index(
                port_num, local[oids.lldpLocPortIdSubtype.oid].get((port_num,)), local[oids.lldpLocPortId.oid].get((port_num,)),
                local[oids.lldpLocPortDesc.oid].get((port_num,)), interfaces,
            ),
            remote_sysname=text(column["lldpRemSysName"].get(index)),
            remote_chassis_id=decode_id(column["lldpRemChassisIdSubtype"].get(index), column["lldpRemChassisId"].get(index),
                                        CHASSIS_MAC, CHASSIS_NETWORK_ADDRESS),
            remote_port=decode_id(column["lldpRemPortIdSubtype"].get(index), column["lldpRemPortId"].get(index),
                                  PORT_MAC, PORT_NETWORK_ADDRESS),
            remote_port_desc=text(column["lldpRemPortDesc"].get(index)),
            remote_address=addresses.get(index, ""),
            platform=text(column["lldpRemSysDesc"].get(index)),
        ))
    return neighbors


async def _neighbors_into(session: DeviceSession, tables: DeviceTables) -> DeviceTables:
    return replace(tables, neighbors=tables.neighbors + await read_lldp(session, tables.interfaces))


async def _chassis_into(session: DeviceSession, tables: DeviceTables) -> DeviceTables:
    return replace(tables, chassis_id=await read_local_chassis(session))


NEIGHBORS = TableReader("LLDP neighbours", (
    oids.lldpLocPortIdSubtype, oids.lldpLocPortId, oids.lldpLocPortDesc, oids.lldpRemChassisIdSubtype, oids.lldpRemChassisId,
    oids.lldpRemPortIdSubtype, oids.lldpRemPortId, oids.lldpRemPortDesc, oids.lldpRemSysName, oids.lldpRemSysDesc,
    oids.lldpRemManAddrIfSubtype), frozenset(), _neighbors_into)
CHASSIS = TableReader("LLDP chassis", (oids.lldpLocChassisIdSubtype, oids.lldpLocChassisId), frozenset(), _chassis_into)
