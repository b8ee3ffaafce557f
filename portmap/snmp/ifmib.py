"""Readers for SNMPv2-MIB's system group and IF-MIB, returning the core's dataclasses."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from portmap.core.neighbourhood import DeviceTables
from portmap.core.samples import (
    COUNTER_COLUMN,
    COUNTER_NAMES,
    NO_DISCONTINUITY,
    OPER_STATUS,
    DeviceSample,
    InterfaceInfo,
    SystemInfo,
)
from portmap.core.tables import mac_text
from portmap.errors import SnmpAgentError, SnmpMalformedResponse
from portmap.snmp import oids
from portmap.snmp.oids import MibObject, Oid
from portmap.snmp.reader import TableReader
from portmap.snmp.requests import MAX_ANSWER_GROWTH, column_contents, get_packed, row_instances, scalar
from portmap.snmp.session import DeviceSession, dotted
from portmap.snmp.values import EndOfColumn, SnmpValue, text

ADMIN_STATUS = {1: "up", 2: "down", 3: "testing"}
ADMIN_DOWN, OPER_UP = 2, 1

_STATIC_COLUMNS = (
    oids.ifDescr, oids.ifType, oids.ifSpeed, oids.ifPhysAddress, oids.ifAdminStatus,
    oids.ifName, oids.ifHighSpeed, oids.ifAlias,
)

# The counter columns by counter name: 64-bit where the agent has them, else 32-bit; errors and
# discards are 32-bit everywhere. The demo's agents serve the same columns.
HC_COUNTERS: dict[str, MibObject] = {
    "in_octets": oids.ifHCInOctets, "out_octets": oids.ifHCOutOctets,
    "in_ucast": oids.ifHCInUcastPkts, "out_ucast": oids.ifHCOutUcastPkts,
    "in_mcast": oids.ifHCInMulticastPkts, "out_mcast": oids.ifHCOutMulticastPkts,
    "in_bcast": oids.ifHCInBroadcastPkts, "out_bcast": oids.ifHCOutBroadcastPkts,
}
COUNTER32_FALLBACK: dict[str, MibObject] = {
    "in_octets": oids.ifInOctets, "out_octets": oids.ifOutOctets,
    "in_ucast": oids.ifInUcastPkts, "out_ucast": oids.ifOutUcastPkts,
    "in_mcast": oids.ifInMulticastPkts, "out_mcast": oids.ifOutMulticastPkts,
    "in_bcast": oids.ifInBroadcastPkts, "out_bcast": oids.ifOutBroadcastPkts,
    "in_nucast": oids.ifInNUcastPkts, "out_nucast": oids.ifOutNUcastPkts,
}
ALWAYS_COUNTER32: dict[str, MibObject] = {
    "in_errors": oids.ifInErrors, "out_errors": oids.ifOutErrors,
    "in_discards": oids.ifInDiscards, "out_discards": oids.ifOutDiscards,
}
_STATUS = "oper_status"
_DISCONTINUITY = "discontinuity"
_UPTIME = oids.sysUpTime.instance(0)
_STAMP = (oids.ifNumber.instance(0), oids.ifTableLastChange.instance(0))
"""What tells that the interface list changed, where the agent has it; asked with sysUpTime
first in every counter poll."""



class InterfacesChanged(SnmpMalformedResponse):
    """The interface list the counter poll was planned on is no longer the agent's: plan again.
    Twice in a row, the agent's list does not hold still: the device's error."""


@dataclass(frozen=True, slots=True)
class CounterPlan:
    """What to ask every cycle: sysUpTime, the stamp, each interface's instances.

    Planned from a walk, so that only instances the agent has are asked (an SNMPv1 agent
    refuses a whole GET for one it lacks); 64-bit counters where the agent has them. How they
    are packed into GETs is the request builder's (requests.get_packed), on the session.
    """

    counters: dict[str, MibObject]
    ports: tuple[tuple[int, tuple[str, ...]], ...]
    """(ifIndex, the names asked for it, in order): ifOperStatus's and its counters'."""
    stamp: tuple[tuple[Oid, SnmpValue], ...]
    """ifNumber and ifTableLastChange when the plan was made, those the agent has."""
    switched_off: Mapping[int, int] = field(default_factory=dict)
    """Ports administratively down (and not up), by ifIndex, with their status when planned:
    asked their status only, until it changes (down, or lowerLayerDown or notPresent on some agents)."""

    @property
    def hc(self) -> bool:
        return self.counters.get("in_octets") is oids.ifHCInOctets

    @property
    def columns(self) -> dict[str, MibObject]:
        """Each name asked for a port, and its column."""
        return _columns(self.counters)

    def varbinds(self) -> list[bytes]:
        """Every instance asked, in order, encoded as a request carries it (listed each poll, not held)."""
        varbinds = [scalar(oid) for oid in (_UPTIME, *(oid for oid, _ in self.stamp))]
        contents = {name: column_contents(column.oid) for name, column in self.columns.items()}
        asked: dict[tuple[str, ...], tuple[bytes, ...]] = {}
        for if_index, names in self.ports:
            columns = asked.get(names)
            if columns is None:
                columns = asked[names] = tuple(contents[name] for name in names)
            varbinds += row_instances(columns, if_index)
        return varbinds


def _columns(counters: dict[str, MibObject]) -> dict[str, MibObject]:
    return {_STATUS: oids.ifOperStatus, _DISCONTINUITY: oids.ifCounterDiscontinuityTime, **counters}


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


async def read_interfaces(session: DeviceSession) -> dict[int, InterfaceInfo]:
    """The interface list: names, types, speeds, addresses."""
    table = await session.walk([column.oid for column in _STATIC_COLUMNS])
    by_column = {column.name: table[column.oid] for column in _STATIC_COLUMNS}
    interfaces: dict[int, InterfaceInfo] = {}
    for index, descr in by_column["ifDescr"].items():
        if_index = _if_index(session, oids.ifDescr, index)
        high_speed = _integer(session, oids.ifHighSpeed, index, by_column["ifHighSpeed"].get(index))
        speed = _integer(session, oids.ifSpeed, index, by_column["ifSpeed"].get(index)) or 0
        if high_speed:  # Mb/s, and the only right figure above 4.29 Gb/s where ifSpeed saturates
            speed = high_speed * 1_000_000
        descr_text = sys.intern(text(descr))  # switches of one model name their ports alike: one string for all
        name = sys.intern(text(by_column["ifName"].get(index))) or descr_text
        admin = _integer(session, oids.ifAdminStatus, index, by_column["ifAdminStatus"].get(index))
        interfaces[if_index] = InterfaceInfo(
            if_index=if_index,
            if_name=name,
            if_descr=descr_text,
            alias=text(by_column["ifAlias"].get(index)),
            if_type=_integer(session, oids.ifType, index, by_column["ifType"].get(index)) or 0,
            speed_bps=speed,
            mac=_mac(by_column["ifPhysAddress"].get(index)),
            admin_status=ADMIN_STATUS.get(admin or 0, "unknown"),
        )
    return interfaces


async def _interfaces_into(session: DeviceSession, tables: DeviceTables) -> DeviceTables:
    return replace(tables, interfaces=await read_interfaces(session))


INTERFACES = TableReader("interfaces", _STATIC_COLUMNS, frozenset(), _interfaces_into)


async def read_plan(session: DeviceSession) -> CounterPlan:
    """Learn which interfaces and columns to ask, from a short walk; pack the GETs."""
    stamp = await _stamp(session)
    status_columns = (oids.ifOperStatus, oids.ifAdminStatus, oids.ifCounterDiscontinuityTime, oids.ifHCInOctets)
    table = await session.walk([column.oid for column in status_columns])
    counters = dict(HC_COUNTERS) if table[oids.ifHCInOctets.oid] else dict(COUNTER32_FALLBACK)
    counters.update(ALWAYS_COUNTER32)
    if session.device.snmp.version == "1":
        # An SNMPv1 agent refuses a whole GET for one instance it lacks: ask only those it has.
        # Later versions answer noSuchInstance for that instance alone, which reads as no counter.
        table.update(await session.walk([column.oid for column in counters.values()]))
    columns = _columns(counters)
    known = {column: table[column.oid] for column in (oids.ifCounterDiscontinuityTime, *counters.values()) if column.oid in table}
    ports, switched_off = [], {}
    admin = table[oids.ifAdminStatus.oid]
    for index, oper in table[oids.ifOperStatus.oid].items():
        if_index = _if_index(session, oids.ifOperStatus, index)
        if admin.get(index) == ADMIN_DOWN and isinstance(oper, int) and oper != OPER_UP:  # nothing to count: none asked
            switched_off[if_index] = oper
            ports.append((if_index, _shared((_STATUS,))))
            continue
        names = tuple(name for name, column in columns.items() if column not in known or index in known[column])
        ports.append((if_index, _shared(names)))
    return CounterPlan(counters, tuple(ports), stamp, switched_off)


async def _stamp(session: DeviceSession) -> tuple[tuple[Oid, SnmpValue], ...]:
    """ifNumber and ifTableLastChange, those the agent has (SNMPv1 refuses a GET naming one it lacks)."""
    try:
        values = await session.get(list(_STAMP))
    except SnmpAgentError as error:
        if error.status != "noSuchName":
            raise
        values = {}
        for oid in _STAMP:
            try:
                values.update(await session.get([oid]))
            except SnmpAgentError as error:
                if error.status != "noSuchName":
                    raise
    return tuple((oid, value) for oid, value in values.items() if not isinstance(value, EndOfColumn))


_NAME_TUPLES: dict[tuple[str, ...], tuple[str, ...]] = {}


def _shared(names: tuple[str, ...]) -> tuple[str, ...]:
    """One tuple for every port asked the same columns (most ports of most devices)."""
    return _NAME_TUPLES.setdefault(names, names)


class _SampleReader:
    """Puts a counter poll's values into a sample's arrays as each answer arrives, so that a
    thousand devices polled at once hold arrays rather than a number object per counter."""

    def __init__(self, session: DeviceSession, plan: CounterPlan) -> None:
        self.session, self.plan = session, plan
        self.columns = plan.columns
        self.cells = {name: (COUNTER_COLUMN[name], _bits(column)) for name, column in plan.counters.items()}
        """Each counter's column in the arrays, and its width."""
        count = len(plan.ports)
        self.values = np.zeros((count, len(COUNTER_NAMES)), np.uint64)
        self.widths = np.zeros((count, len(COUNTER_NAMES)), np.uint8)
        self.oper = np.zeros(count, np.int8)
        self.discontinuity = np.full(count, NO_DISCONTINUITY, np.int64)
        self.uptime: int | None = None
        self.header: list[SnmpValue] = []
        """sysUpTime and the stamp, until all are in."""
        self.row = self.at = 0
        """The port and the position in its names that the next value is for."""

    def take(self, values: list[SnmpValue]) -> None:
        header = 1 + len(self.plan.stamp)
        if len(self.header) < header:
            taken = header - len(self.header)
            self.header += values[:taken]
            values = values[taken:]
            if len(self.header) == header:
                self._check_header()
        session, columns, ports = self.session, self.columns, self.plan.ports
        row, at = self.row, self.at
        for value in values:
            if_index, names = ports[row]
            name = names[at]
            column = columns[name]
            number = value if type(value) is int else _integer(session, column, (if_index,), value)  # ints: most values
            if name == _STATUS:
                if number is None:
                    raise InterfacesChanged(session.device.name, f"interface {if_index} is gone", dotted(column.instance(if_index)))
                if if_index in self.plan.switched_off and number != self.plan.switched_off[if_index]:
                    raise InterfacesChanged(session.device.name, f"interface {if_index} was switched on: its counters are "
                                                                 f"asked from now on", dotted(column.instance(if_index)))
                self.oper[row] = number if number in OPER_STATUS else 0
            elif number is None:
                pass
            elif not 0 <= number < (2**32 if name == _DISCONTINUITY else 2**64):
                raise SnmpMalformedResponse(session.device.name, f"expected a {'TimeTicks' if name == _DISCONTINUITY else 'counter'}, "
                                            f"got {number}", dotted(column.instance(if_index)))
            elif name == _DISCONTINUITY:
                self.discontinuity[row] = number
            else:
                cell, bits = self.cells[name]
                self.values[row, cell], self.widths[row, cell] = number, bits
            at += 1
            if at == len(names):
                row, at = row + 1, 0
        self.row, self.at = row, at

    def _check_header(self) -> None:
        self.uptime = _integer(self.session, oids.sysUpTime, (0,), self.header[0])
        if self.uptime is None:
            raise SnmpMalformedResponse(self.session.device.name, "agent has no sysUpTime", dotted(_UPTIME))
        if tuple(self.header[1:]) != tuple(value for _, value in self.plan.stamp):
            raise InterfacesChanged(self.session.device.name, "ifNumber or ifTableLastChange changed", dotted(_STAMP[0]))


ANSWER_SIZE_MARGIN = 2
"""Bytes a counter's value may gain over its size at the last read before a GET's answer
outgrows the size it was packed for: the counter would have grown 65,536-fold between polls
(and even then the answer is only larger than MAX_GET_RESPONSE_BYTES, under an Ethernet MTU)."""
_SIZE_LIMITS = np.array([1 << (8 * size - 1) for size in range(1, 9)], np.uint64)
"""A BER non-negative integer of n content bytes is below the nth of these (a leading 0 bit)."""


def answer_growth(plan: CounterPlan, previous: DeviceSample | None) -> np.ndarray | None:
    """The bytes each instance of plan.varbinds() adds to its GET's answer, for packing
    (requests.get_packed), from the values `previous` read from the same ports: a counter's
    size then, plus ANSWER_SIZE_MARGIN; the most a value can add where none was read. A
    switch's counters take 1-6 bytes, not the 9 a Counter64 may: fewer, fuller GETs."""
    if previous is None or previous.if_indexes.tolist() != [if_index for if_index, _ in plan.ports]:
        return None
    sizes = np.searchsorted(_SIZE_LIMITS, previous.values, side="right") + 1
    known = np.where(previous.widths > 0, np.minimum(sizes + ANSWER_SIZE_MARGIN, MAX_ANSWER_GROWTH), MAX_ANSWER_GROWTH)
    growth = [MAX_ANSWER_GROWTH] * (1 + len(plan.stamp))  # sysUpTime and the stamp
    cells: dict[tuple[str, ...], list[int | None]] = {}
    for row, (_, names) in zip(known.tolist(), plan.ports):
        where = cells.get(names)
        if where is None:
            where = cells[names] = [COUNTER_COLUMN.get(name) for name in names]
        growth += [MAX_ANSWER_GROWTH if cell is None else row[cell] for cell in where]
    return np.array(growth, np.uint8)  # held while the read lasts: a byte each, not an int object


async def read_counters(session: DeviceSession, plan: CounterPlan, sampled_at: float | None = None,
                        previous: DeviceSample | None = None) -> DeviceSample:
    """sysUpTime and every planned interface's status and counters, by the plan's GETs,
    packed by the sizes of the values `previous` read (answer_growth).

    `sampled_at` overrides the sample's time where the agent's counter cache is known
    to have been refreshed at that moment (see counter_cache.py). Raises InterfacesChanged
    where the agent's interface list is no longer the plan's.
    """
    reader = _SampleReader(session, plan)
    try:
        first_answer = await get_packed(session, plan.varbinds(), reader.take, answer_growth(plan, previous))
    except SnmpAgentError as error:
        if error.status == "noSuchName":  # SNMPv1's answer to an instance that is gone
            raise InterfacesChanged(session.device.name, "an interface counter is gone", error.oid) from None
        raise
    last_answer = session.last_answer_s
    assert reader.uptime is not None and reader.row == len(plan.ports)  # get_values answers every instance asked
    return DeviceSample(
        device=session.device.name,
        time_s=(first_answer + last_answer) / 2 if sampled_at is None else sampled_at,
        sys_uptime_cs=reader.uptime,
        uptime_read_s=first_answer,
        if_indexes=np.array([if_index for if_index, _ in plan.ports], np.int64),
        oper=reader.oper,
        discontinuity=reader.discontinuity,
        values=reader.values,
        widths=reader.widths,
    )
