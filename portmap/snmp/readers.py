"""Every table reader, in the order a device's tables are read (the neighbour readers use the
interface list read first). Adding a reader: one module exposing a TableReader, one line here."""

from __future__ import annotations

from portmap.snmp import bridge, cdp, ifmib, ipmib, lag, lldp
from portmap.snmp.reader import TableReader

READERS: tuple[TableReader, ...] = (
    ifmib.INTERFACES,
    bridge.READER,
    ipmib.READER,
    ipmib.ADDRESSES,
    lldp.NEIGHBORS,
    cdp.READER,
    lldp.CHASSIS,
    lag.READER,
)
