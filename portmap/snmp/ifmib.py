"""Readers for SNMPv2-MIB's system group and IF-MIB, returning the core's dataclasses."""

from __future__ import annotations

from dataclasses import dataclass

from portmap.core.samples import (
    OPER_STATUS,
    Counter,
    DeviceSample,
    InterfaceInfo,
    PortCounters,
    SystemInfo,
)
from portmap.core.tables import mac_text
from portmap.errors import SnmpMalformedResponse
from portmap.snmp import oids
from portmap.snmp.oids import MibObject, Oid
from portmap.snmp.session import DeviceSession, dotted
from portmap.snmp.values import EndOfColumn, SnmpValue, text

ADMIN_STATUS = {1: "up", 2: "down", 3: "testing"}

_STATIC_COLUMNS = (
    oids.ifDescr, oids.ifType, oids.ifSpeed, oids.ifPhysAddress, oids.ifAdminStatus,
    oids.ifName, oids.ifHighSpeed, oids.ifAlias, oids.ifHCInOctets,
)

_HC_COUNTERS: dict[str, MibObject] = {
    "in_octets": oids.ifHCInOctets, "out_octets": oids.ifHCOutOctets,
    "in_ucast": oids.ifHCInUcastPkts, "out_ucast": oids.ifHCOutUcastPkts,
    "in_mcast": oids.ifHCInMulticastPkts, "out_mcast": oids.ifHCOutMulticastPkts,
    "in_bcast": oids.ifHCInBroadcastPkts, "out_bcast": oids.ifHCOutBroadcastPkts,
}
_COUNTER32_FALLBACK: dict[str, MibObject] = {
    "in_octets": oids.ifInOctets, "out_octets": oids.ifOutOctets,
    "in_ucast": oids.ifInUcastPkts, "out_ucast": oids.ifOutUcastPkts,
    "in_mcast": oids.ifInMulticastPkts, "out_mcast": oids.ifOutMulticastPkts,
    "in_bcast": oids.ifInBroadcastPkts, "out_bcast": oids.ifOutBroadcastPkts,
    "in_nucast": oids.ifInNUcastPkts, "out_nucast": oids.ifOutNUcastPkts,
}
_ALWAYS_COUNTER32: dict[str, MibObject] = {
    "in_errors": oids.ifInErrors, "out_errors": oids.ifOutErrors,
    "in_discards": oids.ifInDiscards, "out_discards": oids.ifOutDiscards,
}


@dataclass(frozen=True, slots=True)
class CounterPlan:
    """Which columns to read each cycle: 64-bit where the agent has them, else 32-bit."""

    counters: dict[str, MibObject]

    @property
    def hc(self) -> bool:
        return self.counters.get("in_octets") is oids.ifHCInOctets


def _bits(column: MibObject) -> int:
    return 64 if column.name.startswith("ifHC") else 32


def _mac(value: SnmpValue) -> str:
    return mac_text(value) if isinstance(value, bytes) and len(value) == 6 else ""


def _integer(session: DeviceSession, column: MibObject, index: Oid, value: SnmpValue) -> int | None:
    """An integer column's value; None where absent; a typed error where it is not a number."""
    if value is None or isinstance(value, EndOfColumn):
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise SnmpMalformedResponse(
            session.device.name, f"expected a number, got {type(value).__name__}", dotted(column.oid + index)
        )
    return value


def _if_index(session: DeviceSession, column: MibObject, index: Oid) -> int:
    if len(index) != 1:
        raise SnmpMalformedResponse(session.device.name, "row index is not a single ifIndex", dotted(column.oid + index))
    return index[0]


async def read_system(session: DeviceSession) -> SystemInfo:
    instances = [oids.sysName.instance(0), oids.sysDescr.instance(0), oids.sysUpTime.instance(0), oids.ifNumber.instance(0)]
    values = await session.get(instances)
    uptime = _integer(session, oids.sysUpTime, (0,), values[instances[2]])
    if uptime is None:
        raise SnmpMalformedResponse(session.device.name, "agent has no sysUpTime", oids.sysUpTime.dotted + ".0")
    return SystemInfo(
        sys_name=text(values[instances[0]]),
        sys_descr=text(values[instances[1]]),
        sys_uptime_cs=uptime,
        if_number=_integer(session, oids.ifNumber, (0,), values[instances[3]]),
    )


async def read_interfaces(session: DeviceSession) -> tuple[dict[int, InterfaceInfo], CounterPlan]:
    """The interface list, and the counter columns this agent serves."""
    table = await session.walk([column.oid for column in _STATIC_COLUMNS])
    by_column = {column.name: table[column.oid] for column in _STATIC_COLUMNS}
    interfaces: dict[int, InterfaceInfo] = {}
    for index, descr in by_column["ifDescr"].items():
        if_index = _if_index(session, oids.ifDescr, index)
        high_speed = _integer(session, oids.ifHighSpeed, index, by_column["ifHighSpeed"].get(index))
        speed = _integer(session, oids.ifSpeed, index, by_column["ifSpeed"].get(index)) or 0
        if high_speed:  # Mb/s, and the only right figure above 4.29 Gb/s where ifSpeed saturates
            speed = high_speed * 1_000_000
        name = text(by_column["ifName"].get(index)) or text(descr)
        admin = _integer(session, oids.ifAdminStatus, index, by_column["ifAdminStatus"].get(index))
        interfaces[if_index] = InterfaceInfo(
            if_index=if_index,
            if_name=name,
            if_descr=text(descr),
            alias=text(by_column["ifAlias"].get(index)),
            if_type=_integer(session, oids.ifType, index, by_column["ifType"].get(index)) or 0,
            speed_bps=speed,
            mac=_mac(by_column["ifPhysAddress"].get(index)),
            admin_status=ADMIN_STATUS.get(admin or 0, "unknown"),
        )
    counters = dict(_HC_COUNTERS) if by_column["ifHCInOctets"] else dict(_COUNTER32_FALLBACK)
    counters.update(_ALWAYS_COUNTER32)
    return interfaces, CounterPlan(counters)


async def read_counters(session: DeviceSession, plan: CounterPlan, sampled_at: float | None = None) -> DeviceSample:
    """sysUpTime and every interface's counters, in one GET and one multi-column walk.

    `sampled_at` overrides the sample's time where the agent's counter cache is known
    to have been refreshed at that moment (see counter_cache.py).
    """
    uptime_oid = oids.sysUpTime.instance(0)
    uptime = _integer(session, oids.sysUpTime, (0,), (await session.get([uptime_oid]))[uptime_oid])
    uptime_read = session.last_answer_s
    if uptime is None:
        raise SnmpMalformedResponse(session.device.name, "agent has no sysUpTime", dotted(uptime_oid))
    status_columns = (oids.ifOperStatus, oids.ifCounterDiscontinuityTime)
    columns = [c.oid for c in status_columns] + [c.oid for c in plan.counters.values()]
    table = await session.walk(columns)
    first_answer, last_answer = session.last_walk_span

    ports: dict[int, PortCounters] = {}
    for index, status in table[oids.ifOperStatus.oid].items():
        if_index = _if_index(session, oids.ifOperStatus, index)
        counters: dict[str, Counter] = {}
        for name, column in plan.counters.items():
            value = _integer(session, column, index, table[column.oid].get(index))
            if value is not None:
                counters[name] = Counter(value, _bits(column))
        ports[if_index] = PortCounters(
            if_index=if_index,
            oper_status=OPER_STATUS.get(_integer(session, oids.ifOperStatus, index, status) or 0, "unknown"),
            discontinuity_cs=_integer(
                session, oids.ifCounterDiscontinuityTime, index, table[oids.ifCounterDiscontinuityTime.oid].get(index)
            ),
            counters=counters,
        )
    return DeviceSample(
        device=session.device.name,
        time_s=(first_answer + last_answer) / 2 if sampled_at is None else sampled_at,
        sys_uptime_cs=uptime,
        uptime_read_s=uptime_read,
        ports=ports,
    )
