"""LLDP-MIB neighbours, with IDs decoded by subtype and local port numbers mapped to ifIndexes.

lldpRemLocalPortNum is an LLDP port number, not always an ifIndex: it is matched through
lldpLocPortTable's port ID (by its subtype: name, alias, MAC, or a local number) and
description against the interfaces, the way devices actually number them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from portmap.core.samples import InterfaceInfo
from portmap.core.tables import Neighbor, mac_text
from portmap.snmp import oids
from portmap.snmp.session import DeviceSession
from portmap.snmp.values import SnmpValue

CHASSIS_MAC, CHASSIS_NETWORK_ADDRESS = 4, 5
PORT_ALIAS, PORT_MAC, PORT_NETWORK_ADDRESS, PORT_NAME, PORT_LOCAL = 1, 3, 4, 5, 7
_REM_COLUMNS = (
    oids.lldpRemChassisIdSubtype, oids.lldpRemChassisId, oids.lldpRemPortIdSubtype,
    oids.lldpRemPortId, oids.lldpRemPortDesc, oids.lldpRemSysName,
)


def _text(value: SnmpValue) -> str:
    return value.decode("utf-8", errors="replace").strip("\x00 ") if isinstance(value, bytes) else ""


def decode_id(subtype: SnmpValue, value: SnmpValue, mac_subtype: int, address_subtype: int) -> str:
    """A chassis or port ID as an operator reads it: MAC, IP address, or text."""
    if not isinstance(value, bytes):
        return ""
    if subtype == mac_subtype and len(value) == 6:
        return mac_text(value)
    if subtype == address_subtype and len(value) in (5, 17):  # IANA address family byte, then the address
        return str(ipaddress.ip_address(value[1:]))
    text = _text(value)
    return text if text.isprintable() else value.hex(":")


def local_if_index(port_num: int, subtype: SnmpValue, port_id: SnmpValue, port_desc: SnmpValue,
                   interfaces: Mapping[int, InterfaceInfo]) -> int | None:
    """Which interface an LLDP local port number stands for."""
    text = _text(port_id)
    if subtype == PORT_MAC and isinstance(port_id, bytes) and len(port_id) == 6:
        candidates = [i for i in interfaces.values() if i.mac == mac_text(port_id)]
    elif subtype == PORT_ALIAS:
        candidates = [i for i in interfaces.values() if text and i.alias == text]
    elif subtype == PORT_LOCAL and text.isdigit():
        candidates = [interfaces[int(text)]] if int(text) in interfaces else []
    else:
        candidates = [i for i in interfaces.values() if text and text in (i.if_name, i.if_descr)]
    if not candidates and _text(port_desc):
        candidates = [i for i in interfaces.values() if _text(port_desc) in (i.if_descr, i.if_name)]
    if len(candidates) == 1:
        return candidates[0].if_index
    return port_num if port_num in interfaces else None


async def read_local_chassis(session: DeviceSession) -> str:
    """This device's own LLDP chassis ID (a MAC on most switches), or '' where it has none."""
    subtype, chassis = oids.lldpLocChassisIdSubtype.instance(0), oids.lldpLocChassisId.instance(0)
    values = await session.get([subtype, chassis])
    return decode_id(values[subtype], values[chassis], CHASSIS_MAC, CHASSIS_NETWORK_ADDRESS)


async def read_lldp(session: DeviceSession, interfaces: Mapping[int, InterfaceInfo]) -> list[Neighbor]:
    local = await session.walk([oids.lldpLocPortIdSubtype.oid, oids.lldpLocPortId.oid, oids.lldpLocPortDesc.oid])
    remote = await session.walk([column.oid for column in _REM_COLUMNS])
    column = {c.name: remote[c.oid] for c in _REM_COLUMNS}
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
            remote_sysname=_text(column["lldpRemSysName"].get(index)),
            remote_chassis_id=decode_id(column["lldpRemChassisIdSubtype"].get(index), column["lldpRemChassisId"].get(index),
                                        CHASSIS_MAC, CHASSIS_NETWORK_ADDRESS),
            remote_port=decode_id(column["lldpRemPortIdSubtype"].get(index), column["lldpRemPortId"].get(index),
                                  PORT_MAC, PORT_NETWORK_ADDRESS),
            remote_port_desc=_text(column["lldpRemPortDesc"].get(index)),
        ))
    return neighbors
