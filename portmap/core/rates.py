"""Per-port rates from two samples of a device, refusing to invent traffic.

An interval with a reboot, a counter reset or a changed ifCounterDiscontinuityTime has
no rate (DISCONTINUITY); one whose counters rose faster than the link can carry is a
GLITCH, dropped and counted. Neither is ever shown as traffic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from portmap.core.counters import (
    counter32_may_wrap_twice,
    counter_delta,
    max_octets,
    max_packets,
)
from portmap.core.samples import DeviceSample, InterfaceInfo, PortCounters

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


@dataclass(frozen=True, slots=True)
class DirectionRates:
    """One direction of a port, per second. `in` is what the attached host sends."""

    bps: float | None
    pps: float | None
    mcast_pps: float | None
    bcast_pps: float | None
    errors_ps: float | None
    discards_ps: float | None

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


@dataclass(frozen=True, slots=True)
class PortRates:
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


def compute_device_rates(
    prev: DeviceSample | None, cur: DeviceSample, interfaces: Mapping[int, InterfaceInfo]
) -> list[PortRates]:
    """Rates for every port in `cur`, compared with the previous sample of the same device."""
    rates = []
    for if_index, port in cur.ports.items():
        speed = interfaces[if_index].speed_bps if if_index in interfaces else 0
        if prev is None:
            rates.append(PortRates(cur.device, if_index, 0.0, RateStatus.FIRST, "first sample", speed_bps=speed))
            continue
        interval = cur.time_s - prev.time_s
        if agent_restarted(prev, cur):
            note = "agent restarted (sysUpTime went back or stood still): counters start again"
            rates.append(PortRates(cur.device, if_index, interval, RateStatus.DISCONTINUITY, note, speed_bps=speed))
            continue
        rates.append(compute_port_rates(cur.device, prev.ports.get(if_index), port, interval, speed))
    return rates


def compute_port_rates(
    device: str, prev: PortCounters | None, cur: PortCounters, interval_s: float, speed_bps: int
) -> PortRates:
    def result(status: RateStatus, note: str) -> PortRates:
        return PortRates(device, cur.if_index, interval_s, status, note, speed_bps=speed_bps)

    if prev is None:
        return result(RateStatus.FIRST, "new interface")
    if interval_s <= 0:
        return result(RateStatus.GLITCH, "samples out of order")
    if prev.discontinuity_cs is not None and cur.discontinuity_cs != prev.discontinuity_cs:
        return result(RateStatus.DISCONTINUITY, "counter discontinuity (ifCounterDiscontinuityTime changed)")

    octet_limit = max_octets(speed_bps, interval_s)
    packet_limit = max_packets(speed_bps, interval_s)
    deltas: dict[str, int] = {}
    for name, counter in cur.counters.items():
        before = prev.counters.get(name)
        if before is None:
            continue
        delta = counter_delta(before, counter)
        if delta is None:
            return result(RateStatus.DISCONTINUITY, f"{name} counter went back (reset or width change)")
        limit = octet_limit if name.endswith("octets") else packet_limit
        if limit is not None and delta.value > limit:
            if delta.wrapped:
                return result(RateStatus.DISCONTINUITY, f"{name} counter went back too far for a wrap (reset)")
            return result(RateStatus.GLITCH, f"{name} rose faster than the link's {speed_bps / 1e6:g} Mb/s")
        deltas[name] = delta.value

    bits = [counter.bits for name, counter in cur.counters.items() if name.endswith("octets")]
    return PortRates(
        device,
        cur.if_index,
        interval_s,
        RateStatus.OK,
        inbound=_direction(deltas, "in", interval_s),
        outbound=_direction(deltas, "out", interval_s),
        speed_bps=speed_bps,
        may_have_wrapped_again=32 in bits and counter32_may_wrap_twice(speed_bps, interval_s),
    )


def _direction(deltas: Mapping[str, int], side: str, interval_s: float) -> DirectionRates:
    def per_second(name: str) -> float | None:
        value = deltas.get(f"{side}_{name}")
        return None if value is None else value / interval_s

    ucast, mcast, bcast, nucast = (per_second(n) for n in ("ucast", "mcast", "bcast", "nucast"))
    octets = per_second("octets")
    if ucast is None:
        pps = None
    elif mcast is not None and bcast is not None:
        pps = ucast + mcast + bcast
    else:
        pps = ucast + (nucast or 0.0)
    return DirectionRates(
        bps=None if octets is None else octets * 8,
        pps=pps,
        mcast_pps=mcast,
        bcast_pps=bcast,
        errors_ps=per_second("errors"),
        discards_ps=per_second("discards"),
    )
