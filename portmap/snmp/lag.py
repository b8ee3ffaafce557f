"""Link aggregation: which interfaces are members of which aggregate (port-channel, trunk, bond).

Read from IEEE8023-LAG-MIB's dot3adAggPortAttachedAggID, not from ifStackTable: there a
VLAN interface stacked on its ports (HP) looks the same as a port-channel on its members (Cisco).
"""

from __future__ import annotations

from dataclasses import replace

from portmap.core.neighbourhood import DeviceTables
from portmap.snmp import oids
from portmap.snmp.reader import TableReader
from portmap.snmp.session import DeviceSession


async def read_aggregates(session: DeviceSession) -> dict[int, int]:
    """Member ifIndex -> its aggregate's ifIndex; ports attached to nothing (0) or to themselves are left out."""
    column = (await session.walk([oids.dot3adAggPortAttachedAggID.oid]))[oids.dot3adAggPortAttachedAggID.oid]
    return {index[0]: value for index, value in column.items()
            if len(index) == 1 and isinstance(value, int) and value not in (0, index[0])}


async def _into(session: DeviceSession, tables: DeviceTables) -> DeviceTables:
    return replace(tables, aggregates=await read_aggregates(session))


READER = TableReader("port-channels", (oids.dot3adAggPortAttachedAggID,), frozenset(), _into)
