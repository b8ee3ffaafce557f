"""BRIDGE-MIB and Q-BRIDGE-MIB: learned MACs, their VLAN and the interface behind each bridge port.

The order, after Netdisco and LibreNMS:
1. Q-BRIDGE's dot1qTpFdbTable (FDB id -> VLAN through dot1qVlanFdbId).
2. Else BRIDGE-MIB's dot1dTpFdbTable in the default context.
3. Else, on a Cisco switch (CISCO-VTP-MIB lists its VLANs), BRIDGE-MIB once per operational
   VLAN, through community string indexing or the v3 context `vlan-N`.
Bridge port numbers are mapped through dot1dBasePortIfIndex (per VLAN on Cisco), never
assumed to be ifIndexes; an entry whose bridge port has no ifIndex keeps if_index None.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from portmap.core.neighbourhood import DeviceTables
from portmap.core.tables import FDB_STATUS, FdbEntry, mac_text
from portmap.errors import SnmpError, SnmpTimeout
from portmap.snmp import oids
from portmap.snmp.reader import TableReader
from portmap.snmp.session import DeviceSession
from portmap.snmp.values import SnmpValue, index_octets

VTP_OPERATIONAL = 1
VTP_RESERVED_VLANS = range(1002, 1006)
"""FDDI and Token Ring defaults that every Cisco switch lists; they carry no Ethernet frames."""


@dataclass(slots=True)
class FdbReading:
    entries: list[FdbEntry] = field(default_factory=list)
    source: str = "none"
    """Which table the entries came from: q-bridge, bridge, bridge per VLAN, or none."""
    problems: list[str] = field(default_factory=list)


def _int(value: SnmpValue) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _port_map(column: dict[tuple[int, ...], SnmpValue]) -> dict[int, int | None]:
    return {index[0]: _int(value) for index, value in column.items() if len(index) == 1}


def _status(value: SnmpValue) -> str:
    return FDB_STATUS.get(_int(value) or 0, "unknown")


async def _q_bridge(session: DeviceSession) -> tuple[list[FdbEntry], int]:
    """The entries, and how many rows were skipped (an index that is no FDB id and MAC)."""
    table = await session.walk([
        oids.dot1dBasePortIfIndex.oid, oids.dot1qTpFdbPort.oid, oids.dot1qTpFdbStatus.oid, oids.dot1qVlanFdbId.oid,
    ])
    port_if = _port_map(table[oids.dot1dBasePortIfIndex.oid])
    vlan_of_fdb = {_int(value): index[-1] for index, value in table[oids.dot1qVlanFdbId.oid].items() if index}
    entries, skipped = [], 0
    for index, value in table[oids.dot1qTpFdbPort.oid].items():
        port = _int(value)
        mac = index_octets(index[1:]) if len(index) == 7 else None
        if mac is None or port is None:
            skipped += 1
            continue
        fdb_id = index[0]
        entries.append(FdbEntry(mac_text(mac), vlan_of_fdb.get(fdb_id, fdb_id), port, port_if.get(port),
                                _status(table[oids.dot1qTpFdbStatus.oid].get(index))))
    return entries, skipped


async def _bridge(session: DeviceSession, vlan: int | None) -> tuple[list[FdbEntry], int]:
    """The entries, and how many rows were skipped (an index that is no MAC)."""
    table = await session.walk([oids.dot1dBasePortIfIndex.oid, oids.dot1dTpFdbPort.oid, oids.dot1dTpFdbStatus.oid])
    port_if = _port_map(table[oids.dot1dBasePortIfIndex.oid])
    entries, skipped = [], 0
    for index, value in table[oids.dot1dTpFdbPort.oid].items():
        port = _int(value)
        mac = index_octets(index) if len(index) == 6 else None
        if mac is None or port is None:
            skipped += 1
            continue
        entries.append(FdbEntry(mac_text(mac), vlan, port, port_if.get(port), _status(table[oids.dot1dTpFdbStatus.oid].get(index))))
    return entries, skipped


async def cisco_vlans(session: DeviceSession) -> list[int]:
    """The operational Ethernet VLANs CISCO-VTP-MIB lists; empty on other devices."""
    states = (await session.walk([oids.vtpVlanState.oid]))[oids.vtpVlanState.oid]
    return sorted({index[-1] for index, state in states.items()
                   if index and state == VTP_OPERATIONAL and index[-1] not in VTP_RESERVED_VLANS})


async def read_fdb(session: DeviceSession) -> FdbReading:
    entries, skipped = await _q_bridge(session)
    if entries:
        return _checked(FdbReading(entries, "q-bridge"), skipped)
    entries, skipped_bridge = await _bridge(session, None)
    skipped += skipped_bridge
    if any(e.learned for e in entries):
        return _checked(FdbReading(entries, "bridge"), skipped)
    vlans = await cisco_vlans(session)
    if not vlans:
        return _checked(FdbReading(entries, "bridge" if entries else "none"), skipped)
    reading = FdbReading(list(entries), "bridge per VLAN")
    for position, vlan in enumerate(vlans):
        try:
            found, skipped_vlan = await _bridge(session.client.session(session.device, vlan), vlan)
        except SnmpTimeout as error:
            # Community indexing off, or no v3 context per VLAN: the rest would only time out too.
            rest = f"; {len(vlans) - position - 1} more VLAN(s) not tried" if position + 1 < len(vlans) else ""
            reading.problems.append(f"VLAN {vlan}'s bridge table (community@{vlan} / context vlan-{vlan}): {error.detail}{rest}")
            break
        except SnmpError as error:
            reading.problems.append(f"VLAN {vlan}'s bridge table (community@{vlan} / context vlan-{vlan}): {error.detail}")
            continue
        reading.entries += found
        skipped += skipped_vlan
    return _checked(reading, skipped)


def _checked(reading: FdbReading, skipped: int) -> FdbReading:
    """Say which learned entries could not be tied to an interface, how many rows could not be
    read (`skipped`), and where nothing was learned."""
    if skipped:
        reading.problems.append(f"{skipped} forwarding table row(s) skipped: their index or port is not a MAC and a bridge port")
    orphans = sorted({e.bridge_port for e in reading.entries if e.learned and e.if_index is None})
    if orphans:
        count = sum(1 for e in reading.entries if e.learned and e.if_index is None)
        reading.problems.append(
            f"{count} learned MAC(s) on bridge port(s) {', '.join(map(str, orphans))} that dot1dBasePortIfIndex "
            "maps to no interface: shown, but no host is placed there"
        )
    if not reading.entries:
        reading.problems.append("no forwarding entries in Q-BRIDGE-MIB or BRIDGE-MIB: hosts cannot be placed on this switch")
    return reading


async def _into(session: DeviceSession, tables: DeviceTables) -> DeviceTables:
    reading = await read_fdb(session)
    return replace(tables, fdb=reading.entries, fdb_source=reading.source, problems=tables.problems + tuple(reading.problems))


READER = TableReader("forwarding table", (oids.dot1qTpFdbPort, oids.dot1qTpFdbStatus, oids.dot1qVlanFdbId, oids.dot1dTpFdbPort,
                                          oids.dot1dTpFdbStatus, oids.dot1dBasePortIfIndex, oids.vtpVlanState),
                     frozenset({"switch"}), _into)
