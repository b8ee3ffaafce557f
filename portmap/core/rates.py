"""Per-port rates from two samples of a device, refusing to invent traffic.

An interval with a reboot, a counter reset or a changed ifCounterDiscontinuityTime has
no rate (DISCONTINUITY); one whose counters rose faster than the link can carry is a
GLITCH, dropped and counted. Neither is ever shown as traffic.

A device's rates are computed on arrays, every port at once (DeviceRates); PortRates is
one port's readable form, built for the faces.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

import numpy as np

from portmap.core.counters import (
    CounterDeltas,
    counter32_may_wrap_twice,
    counter_deltas,
    impossible_sizes,
    max_octets,
    max_packets,
    plausible_speed,
)
from portmap.core.metrics import BPS, BCAST, DIRECTIONS, DISCARDS, ERRORS, IN, MCAST, METRICS, OUT, PPS, TROUBLE
from portmap.core.samples import COUNTER_COLUMN, COUNTER_NAMES, NO_DISCONTINUITY, DeviceSample, InterfaceInfo

SYS_UPTIME_MODULO_CS = 2**32
UPTIME_TOLERANCE_CS = 6000
"""How far (60 s) an agent's clock may be from ours around sysUpTime's 497-day wrap."""
UPTIME_LAG_CS = 50
"""sysUpTime may lag our clock by this much (0.5 s, or 5 % of the interval) without a restart."""


class RateStatus(StrEnum):
    OK = "ok"
    FIRST = "first sample"
    DISCONTINUITY = "discontinuity"
    GLITCH = "glitch"


STATUSES = tuple(RateStatus)
"""DeviceRates.status holds positions in this tuple."""
_OK, _FIRST, _DISCONTINUITY, _GLITCH = range(4)


class DirectionRates(NamedTuple):
    """One direction of a port, per second, fields in core/metrics.METRICS' order. `in` is what
    the attached host sends. (Named tuples: a poll builds three of these records per port, and
    frozen dataclasses cost three times as much to build.)"""

    bps: float | None
    pps: float | None
    mcast_pps: float | None
    bcast_pps: float | None
    errors_ps: float | None
    discards_ps: float | None
    trouble_ps: float | None
    """Errors and discards together (None where neither is measured)."""

    @classmethod
    def measured(cls, bps: float | None, pps: float | None, mcast_pps: float | None, bcast_pps: float | None,
                 errors_ps: float | None, discards_ps: float | None) -> DirectionRates:
        """A direction from what is measured; trouble_ps computed as compute_device_rates does."""
        trouble = None if errors_ps is None and discards_ps is None else (errors_ps or 0.0) + (discards_ps or 0.0)
        return cls(bps, pps, mcast_pps, bcast_pps, errors_ps, discards_ps, trouble)

    @property
    def avg_pkt_bytes(self) -> float | None:
        if self.bps is None or not self.pps:
            return None
        return self.bps / 8 / self.pps

    @property
    def bcast_share(self) -> float | None:
        if self.bcast_pps is None or not self.pps:
            return None
        return self.bcast_pps / self.pps


class PortRates(NamedTuple):
    device: str
    if_index: int
    interval_s: float
    status: RateStatus
    note: str = ""
    inbound: DirectionRates | None = None
    outbound: DirectionRates | None = None
    speed_bps: int = 0
    may_have_wrapped_again: bool = False
    """A 32-bit octet counter could have wrapped more than once: the rate is a lower bound."""

    @property
    def util_pct(self) -> float | None:
        if not self.speed_bps or self.inbound is None or self.outbound is None:
            return None
        busiest = max(self.inbound.bps or 0.0, self.outbound.bps or 0.0)
        return busiest / self.speed_bps * 100

    @property
    def errors_and_discards_ps(self) -> float | None:
        """ERR/S: errors and discards of both directions (SORT_COLUMNS["errors"] for one port, without arrays)."""
        if self.inbound is None:
            return None
        return sum(side.trouble_ps or 0.0 for side in (self.inbound, self.outbound) if side is not None)

    def sort_key(self, sort: str) -> float:
        """This port's value of SORT_COLUMNS[sort], the one definition of each order."""
        per_second = np.full((1, 2, len(METRICS)), np.nan)
        for direction, side in enumerate((self.inbound, self.outbound)):
            if side is not None:
                per_second[0, direction] = [np.nan if value is None else value for value in side]
        return float(SORT_COLUMNS[sort](per_second, np.array([self.speed_bps]))[0])


@dataclass(frozen=True, slots=True, eq=False)
class DeviceRates:
    """Every port of one device over one interval, a row per port."""

    device: str
    interval_s: float
    if_indexes: np.ndarray
    status: np.ndarray
    """int8 positions in STATUSES."""
    per_second: np.ndarray
    """float64 (ports, 2 directions, METRICS); NaN where not measured, and on rows that are not OK."""
    speed_bps: np.ndarray
    may_have_wrapped_again: np.ndarray
    notes: Mapping[int, str]
    """Why, for rows that are not OK."""

    def __len__(self) -> int:
        return len(self.if_indexes)

    @property
    def ok(self) -> np.ndarray:
        return self.status == _OK

    def ports(self) -> list[PortRates]:
        """Each row's readable form (for the faces; built from plain lists, not element by element)."""
        return [self._record(row, *columns) for row, columns in enumerate(zip(
            self.per_second.tolist(), self.status.tolist(), self.if_indexes.tolist(), self.speed_bps.tolist(),
            self.may_have_wrapped_again.tolist()))]

    def port(self, row: int) -> PortRates:
        """One row's readable form."""
        return self._record(row, self.per_second[row].tolist(), int(self.status[row]), int(self.if_indexes[row]),
                            int(self.speed_bps[row]), bool(self.may_have_wrapped_again[row]))

    def _record(self, row: int, values: list[list[float]], code: int, if_index: int, speed: int, wrapped: bool) -> PortRates:
        status = STATUSES[code]
        inbound: DirectionRates | None = None
        outbound: DirectionRates | None = None
        if status is RateStatus.OK:
            inbound, outbound = (DirectionRates(*[None if value != value else value for value in side]) for side in values)
        return PortRates(self.device, if_index, self.interval_s, status, self.notes.get(row, ""), inbound, outbound, speed, wrapped)

    @classmethod
    def of(cls, ports: Sequence[PortRates]) -> DeviceRates:
        """Rates from their readable form (all of one device and one interval)."""
        per_second = np.full((len(ports), 2, len(METRICS)), np.nan)
        for row, port in enumerate(ports):
            for direction, side in enumerate((port.inbound, port.outbound)):
                if side is not None:
                    per_second[row, direction] = [np.nan if getattr(side, m) is None else getattr(side, m) for m in METRICS]
        return cls(
            ports[0].device if ports else "", ports[0].interval_s if ports else 0.0,
            np.array([p.if_index for p in ports], np.int64),
            np.array([STATUSES.index(p.status) for p in ports], np.int8),
            per_second, np.array([p.speed_bps for p in ports], np.int64),
            np.array([p.may_have_wrapped_again for p in ports], bool),
            {row: p.note for row, p in enumerate(ports) if p.note},
        )


def busier(per_second: np.ndarray, metric: int) -> np.ndarray:
    """Each row's busier direction in `metric` (a position in METRICS), unmeasured as 0."""
    return np.nan_to_num(per_second[:, :, metric]).max(axis=1)


def util_pct(per_second: np.ndarray, speed_bps: np.ndarray) -> np.ndarray:
    """PortRates.util_pct for every row at once; NaN where the speed is not known."""
    return np.where(speed_bps > 0, busier(per_second, BPS) / np.maximum(speed_bps, 1) * 100, np.nan)


SORT_COLUMNS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "pps": lambda per_second, speed: busier(per_second, PPS),
    "bps": lambda per_second, speed: busier(per_second, BPS),
    "util": lambda per_second, speed: np.nan_to_num(util_pct(per_second, speed)),  # rows without rates are 0
    "errors": lambda per_second, speed: np.nan_to_num(per_second[:, :, TROUBLE]).sum(axis=1),
}
"""`--sort` keys, from (rows, directions, METRICS) rates and the rows' speeds: each row's busier
direction; for errors, errors and discards of both directions."""


def by_device(ports: Sequence[PortRates]) -> list[DeviceRates]:
    """Readable rates grouped into DeviceRates, one per device."""
    grouped: dict[str, list[PortRates]] = {}
    for port in ports:
        grouped.setdefault(port.device, []).append(port)
    return [DeviceRates.of(group) for group in grouped.values()]


def agent_restarted(prev: DeviceSample, cur: DeviceSample) -> bool:
    """True when sysUpTime went back, or advanced far less than our clock did.

    The second catches an agent that restarted and has been up longer than its previous
    uptime by the time we ask again. sysUpTime's own wrap after 497 days is not a restart.
    """
    elapsed_cs = (cur.uptime_read_s - prev.uptime_read_s) * 100
    advanced_cs = cur.sys_uptime_cs - prev.sys_uptime_cs
    if advanced_cs < 0:
        expected = prev.sys_uptime_cs + elapsed_cs
        wrapped = expected >= SYS_UPTIME_MODULO_CS - UPTIME_TOLERANCE_CS
        return not (wrapped and abs(expected % SYS_UPTIME_MODULO_CS - cur.sys_uptime_cs) <= UPTIME_TOLERANCE_CS)
    return advanced_cs < elapsed_cs - max(UPTIME_LAG_CS, elapsed_cs * 0.05)


_OCTETS = np.array(["octets" in name for name in COUNTER_NAMES])


def compute_device_rates(prev: DeviceSample | None, cur: DeviceSample, interfaces: Mapping[int, InterfaceInfo]) -> DeviceRates:
    """Rates for every port in `cur`, compared with the previous sample of the same device."""
    count = len(cur.if_indexes)
    speed = np.array([interfaces[i].speed_bps if i in interfaces else 0 for i in cur.if_indexes.tolist()], np.int64)
    status = np.full(count, _OK, np.int8)
    notes: dict[int, str] = {}
    per_second = np.full((count, 2, len(METRICS)), np.nan)
    wrapped_again = np.zeros(count, bool)
    interval = 0.0 if prev is None else cur.time_s - prev.time_s

    def rates(code: int, note: str) -> DeviceRates:
        status[:] = code
        return DeviceRates(cur.device, interval, cur.if_indexes, status, per_second, speed, wrapped_again,
                           dict.fromkeys(range(count), note))

    if prev is None:
        return rates(_FIRST, "first sample")
    if agent_restarted(prev, cur):
        return rates(_DISCONTINUITY, "agent restarted (sysUpTime went back or stood still): counters start again")
    if interval <= 0:
        return rates(_GLITCH, "samples out of order")

    rows = _rows_in(prev, cur)
    new = rows < 0
    known = rows[~new]
    before, widths_before = np.zeros_like(cur.values), np.zeros_like(cur.widths)
    discontinuity_before = np.full(count, NO_DISCONTINUITY, np.int64)
    before[~new], widths_before[~new], discontinuity_before[~new] = prev.values[known], prev.widths[known], prev.discontinuity[known]
    deltas = counter_deltas(before, cur.values, widths_before, cur.widths)
    able = plausible_speed(speed)
    limits = np.where(_OCTETS, max_octets(able, interval)[:, None], max_packets(able, interval)[:, None])
    amounts = deltas.values.astype(np.float64)
    too_fast = ~deltas.absent & ~deltas.reset & (amounts > limits)
    trouble = deltas.reset | too_fast
    first_trouble = np.argmax(trouble, axis=1)
    changed = ~new & (discontinuity_before != NO_DISCONTINUITY) & (cur.discontinuity != discontinuity_before)
    for row in np.flatnonzero(new | changed | trouble.any(axis=1)).tolist():
        status[row], notes[row] = _why(row, bool(new[row]), bool(changed[row]), int(first_trouble[row]), deltas, too_fast, able)

    amounts[deltas.absent | trouble] = np.nan
    counted = amounts / interval
    for direction, side in ((IN, "in"), (OUT, "out")):
        octets, ucast, mcast, bcast, nucast, errors, discards = (
            counted[:, COUNTER_COLUMN[f"{side}_{name}"]] for name in ("octets", "ucast", "mcast", "bcast", "nucast", "errors", "discards"))
        both_kinds = ~np.isnan(mcast) & ~np.isnan(bcast)
        per_second[:, direction, PPS] = np.where(both_kinds, ucast + mcast + bcast, ucast + np.nan_to_num(nucast))
        per_second[:, direction, BPS] = octets * 8
        per_second[:, direction, MCAST] = mcast
        per_second[:, direction, BCAST] = bcast
        per_second[:, direction, ERRORS] = errors
        per_second[:, direction, DISCARDS] = discards
        per_second[:, direction, TROUBLE] = np.where(np.isnan(errors) & np.isnan(discards), np.nan,
                                                     np.nan_to_num(errors) + np.nan_to_num(discards))
    octets_ps = per_second[:, :, BPS] / 8
    impossible = impossible_sizes(octets_ps, per_second[:, :, PPS])  # both directions in one pass
    if impossible.any():
        for row, direction in zip(*np.nonzero(impossible & (status == _OK)[:, None])):
            packets = per_second[row, direction, PPS]
            size = octets_ps[row, direction] / packets if packets else float("inf")
            status[row] = _GLITCH
            notes[int(row)] = f"{DIRECTIONS[direction]} octets and packets make {size:.0f} B packets: a counter jumped (2**32 carry?)"
    per_second[status != _OK] = np.nan
    octet_32 = ((cur.widths == 32) & _OCTETS).any(axis=1)
    wrapped_again[:] = octet_32 & counter32_may_wrap_twice(speed, interval) & (status == _OK)
    return DeviceRates(cur.device, interval, cur.if_indexes, status, per_second, speed, wrapped_again, notes)


def _rows_in(prev: DeviceSample, cur: DeviceSample) -> np.ndarray:
    """For each row of `cur`, the row of the same ifIndex in `prev`; -1 for a new interface."""
    if np.array_equal(prev.if_indexes, cur.if_indexes):
        return np.arange(len(cur.if_indexes))
    where = {if_index: row for row, if_index in enumerate(prev.if_indexes.tolist())}
    return np.array([where.get(if_index, -1) for if_index in cur.if_indexes.tolist()], np.int64)


def _why(row: int, new: bool, changed: bool, column: int, deltas: CounterDeltas, too_fast: np.ndarray,
         speed: np.ndarray) -> tuple[int, str]:
    """The status and note of a row without a rate, the first reason in the order they are checked."""
    if new:
        return _FIRST, "new interface"
    if changed:
        return _DISCONTINUITY, "counter discontinuity (ifCounterDiscontinuityTime changed)"
    name = COUNTER_NAMES[column]
    if not too_fast[row, column]:
        return _DISCONTINUITY, f"{name} counter went back (reset or width change)"
    if deltas.wrapped[row, column]:
        return _DISCONTINUITY, f"{name} counter went back too far for a wrap (reset)"
    return _GLITCH, f"{name} rose faster than the link's {speed[row] / 1e6:g} Mb/s"  # its speed, or the fastest it can have
