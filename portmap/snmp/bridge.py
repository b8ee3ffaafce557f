"""BRIDGE-MIB and Q-BRIDGE-MIB: learned MACs, their VLAN and the interface behind each bridge port.

Q-BRIDGE's dot1qTpFdbTable is read first; BRIDGE-MIB's dot1dTpFdbTable only where the
agent has no Q-BRIDGE entries. Bridge port numbers are mapped through dot1dBasePortIfIndex,
never assumed to be ifIndexes.
"""

from __future__ import annotations

from portmap.core.tables import FDB_STATUS, FdbEntry, mac_text
from portmap.snmp import oids
from portmap.snmp.session import DeviceSession
from portmap.snmp.values import SnmpValue


def _int(value: SnmpValue) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def read_fdb(session: DeviceSession) -> list[FdbEntry]:
    table = await session.walk([
        oids.dot1dBasePortIfIndex.oid, oids.dot1qTpFdbPort.oid, oids.dot1qTpFdbStatus.oid,
        oids.dot1qVlanFdbId.oid,
    ])
    port_if = {index[0]: _int(value) for index, value in table[oids.dot1dBasePortIfIndex.oid].items() if len(index) == 1}
    vlan_of_fdb = {_int(value): index[-1] for index, value in table[oids.dot1qVlanFdbId.oid].items() if index}
    entries = []
    for index, value in table[oids.dot1qTpFdbPort.oid].items():
        port = _int(value)
        if len(index) != 7 or port is None:
            continue
        fdb_id, mac = index[0], bytes(index[1:])
        status = _int(table[oids.dot1qTpFdbStatus.oid].get(index))
        entries.append(FdbEntry(mac_text(mac), vlan_of_fdb.get(fdb_id, fdb_id), port, port_if.get(port),
                                FDB_STATUS.get(status or 0, "unknown")))
    if entries:
        return entries
    single = await session.walk([oids.dot1dTpFdbPort.oid, oids.dot1dTpFdbStatus.oid])
    for index, value in single[oids.dot1dTpFdbPort.oid].items():
        port = _int(value)
        if len(index) != 6 or port is None:
            continue
        status = _int(single[oids.dot1dTpFdbStatus.oid].get(index))
        entries.append(FdbEntry(mac_text(bytes(index)), None, port, port_if.get(port), FDB_STATUS.get(status or 0, "unknown")))
    return entries
