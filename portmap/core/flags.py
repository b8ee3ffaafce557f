"""Which ports stand out in one interval, and in what order an operator should see them.

These are stateless checks against the other ports of the same poll (per-port baselines
come later). A flood seen on its entry port and on every link it crosses is one incident:
its origin is the inbound sighting with the lowest rate, because every port downstream
carries the flood plus other traffic.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from portmap import format as fmt
from portmap.core.rates import DirectionRates, PortRates, RateStatus


class FlagKind(StrEnum):
    SMALL_PACKET_FLOOD = "small-packet flood"
    PACKET_FLOOD = "packet flood"
    BROADCAST_STORM = "broadcast storm"
    ERROR_BURST = "error burst"
    SATURATION = "saturation"


FLOOD_KINDS = (FlagKind.SMALL_PACKET_FLOOD, FlagKind.PACKET_FLOOD)


@dataclass(frozen=True, slots=True)
class FlagThresholds:
    min_flood_pps: float = 5000.0
    """Below this a port is never a flood, however quiet the others are."""
    outlier_ratio: float = 10.0
    """A flood is at least this many times the typical (median) active port."""
    small_packet_bytes: float = 100.0
    """Average packets under this size are the SYN-flood shape."""
    min_storm_pps: float = 1000.0
    storm_share: float = 0.5
    """Broadcast storm: at least min_storm_pps broadcasts, making up this share of packets."""
    min_errors_ps: float = 50.0
    saturation_pct: float = 90.0
    same_flood_tolerance: float = 1.5
    """Ports whose flood rates are within this factor of the origin's carry the same flood."""


@dataclass(frozen=True, slots=True)
class PortFlag:
    kind: FlagKind
    direction: str
    """'in' (the attached device sends it) or 'out' (it is sent towards the attached device)."""
    rate: float
    reason: str


@dataclass(frozen=True, slots=True)
class RankedPort:
    rates: PortRates
    flags: tuple[PortFlag, ...] = ()
    same_incident_as: tuple[str, int] | None = None
    """(device, if_index) of the incident's origin, on ports that only carry its flood."""

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


def _both(rates: PortRates) -> tuple[DirectionRates, ...]:
    return tuple(d for d in (rates.inbound, rates.outbound) if d is not None)


def _by_pps(rates: PortRates) -> float:
    return max((d.pps or 0.0 for d in _both(rates)), default=0.0)


def _by_bps(rates: PortRates) -> float:
    return max((d.bps or 0.0 for d in _both(rates)), default=0.0)


def _by_util(rates: PortRates) -> float:
    return rates.util_pct or 0.0


def _by_errors(rates: PortRates) -> float:
    return sum((d.errors_ps or 0.0) + (d.discards_ps or 0.0) for d in _both(rates))


SORT_KEYS: dict[str, Callable[[PortRates], float]] = {"pps": _by_pps, "bps": _by_bps, "util": _by_util, "errors": _by_errors}
"""`--sort` keys: each port's busier direction."""


def typical_pps(all_rates: Sequence[PortRates], direction: str) -> float:
    """Median packet rate of the ports with a rate in that direction, idle ones included.

    Leaving idle ports out let a small network's flood make itself typical: with a switch
    not answering, the flooding port and the router port it reaches were half of the busy
    ports, and neither stood out (seen in the namespace lab).
    """
    values = [
        d.pps for r in all_rates if r.status is RateStatus.OK
        for d in [r.inbound if direction == "in" else r.outbound] if d is not None and d.pps is not None
    ]
    return statistics.median(values) if values else 0.0


def flag_port(rates: PortRates, typical: dict[str, float], limits: FlagThresholds) -> tuple[PortFlag, ...]:
    if rates.status is not RateStatus.OK:
        return ()
    flags: list[PortFlag] = []
    for direction, side in (("in", rates.inbound), ("out", rates.outbound)):
        if side is None:
            continue
        verb = "sending" if direction == "in" else "receiving"
        if side.pps is not None and side.pps >= limits.min_flood_pps and side.pps >= limits.outlier_ratio * typical[direction]:
            size = side.avg_pkt_bytes
            small = size is not None and size < limits.small_packet_bytes
            kind = FlagKind.SMALL_PACKET_FLOOD if small else FlagKind.PACKET_FLOOD
            times = f", {side.pps / typical[direction]:.0f}x the typical port" if typical[direction] else ""
            flags.append(PortFlag(kind, direction, side.pps, f"{verb} {fmt.pps(side.pps)} of {fmt.nbytes(size)} packets: {kind}{times}"))
        share = side.bcast_share
        if side.bcast_pps is not None and side.bcast_pps >= limits.min_storm_pps and share is not None and share >= limits.storm_share:
            flags.append(PortFlag(FlagKind.BROADCAST_STORM, direction, side.bcast_pps,
                                  f"broadcast storm: {verb} {fmt.pps(side.bcast_pps)} of broadcasts ({share:.0%} of packets)"))
        if side.errors_ps is not None and side.errors_ps >= limits.min_errors_ps:
            flags.append(PortFlag(FlagKind.ERROR_BURST, direction, side.errors_ps,
                                  f"error burst: {fmt.per_second(side.errors_ps)} {direction}put errors"))
    util = rates.util_pct
    if util is not None and util >= limits.saturation_pct:
        flags.append(PortFlag(FlagKind.SATURATION, "both", util, f"saturated: {fmt.pct(util)} of {fmt.bps(rates.speed_bps)}"))
    return tuple(flags)


def _reverse_pps(rates: PortRates, flood: PortFlag) -> float:
    side = rates.outbound if flood.direction == "in" else rates.inbound
    if side is None or side.pps is None:
        return 0.0
    return side.pps


def _group_floods(sightings: list[tuple[PortFlag, PortRates]], tolerance: float) -> list[list[tuple[PortFlag, PortRates]]]:
    """Cluster flood sightings whose rates lie within `tolerance` of the cluster's lowest."""
    groups: list[list[tuple[PortFlag, PortRates]]] = []
    for sighting in sorted(sightings, key=lambda item: item[0].rate):
        if groups and sighting[0].rate <= groups[-1][0][0].rate * tolerance:
            groups[-1].append(sighting)
        else:
            groups.append([sighting])
    return groups


def _origin(group: list[tuple[PortFlag, PortRates]], uplinks: Collection[tuple[str, int]]) -> tuple[PortFlag, PortRates]:
    """The entry port: an inbound sighting on an edge port, whose opposite direction is the quietest.

    Where the topology is known, uplinks are never the entry. Otherwise, every port downstream
    lies on the flooding host's path, so it carries that host's return traffic plus other
    hosts'. The return direction has no step in it, so poll timing skew between devices
    (which blurs the flood's own rate in its first interval) does not decide.
    """
    inbound = [item for item in group if item[0].direction == "in"] or group
    edge = [item for item in inbound if (item[1].device, item[1].if_index) not in uplinks] or inbound
    return min(edge, key=lambda item: (_reverse_pps(item[1], item[0]), item[0].rate))


def rank_ports(
    all_rates: Sequence[PortRates],
    sort: str = "pps",
    limits: FlagThresholds = FlagThresholds(),
    uplinks: Collection[tuple[str, int]] = frozenset(),
) -> list[RankedPort]:
    """Flood incidents first (origin, then the ports carrying it), other flagged ports, then the rest.

    `uplinks` (device, ifIndex), where known, are never taken for a flood's entry port while an
    edge port sees the flood, and incidents entering at an edge port rank first.
    """
    key = SORT_KEYS[sort]
    typical = {"in": typical_pps(all_rates, "in"), "out": typical_pps(all_rates, "out")}
    flagged = {id(r): flag_port(r, typical, limits) for r in all_rates}
    sightings = []
    for r in all_rates:
        floods = [flag for flag in flagged[id(r)] if flag.kind in FLOOD_KINDS]
        if floods:
            sightings.append((max(floods, key=lambda flag: flag.rate), r))
    incidents = []
    for group in _group_floods(sightings, limits.same_flood_tolerance):
        origin = _origin(group, uplinks)[1]
        carriers = [r for _, r in group if r is not origin]
        incidents.append((origin, sorted(carriers, key=key)))
    # An incident whose every sighting is on an uplink has not been seen entering yet (devices are
    # polled moments apart while a flood starts): the one entering at an edge port ranks above it.
    incidents.sort(key=lambda incident: ((incident[0].device, incident[0].if_index) in uplinks, -key(incident[0])))

    ranked: list[RankedPort] = []
    for origin, carriers in incidents:
        ranked.append(RankedPort(origin, flagged[id(origin)]))
        ranked += [RankedPort(c, flagged[id(c)], (origin.device, origin.if_index)) for c in carriers]
    in_incident = {id(p.rates) for p in ranked}
    others = sorted((r for r in all_rates if id(r) not in in_incident), key=lambda r: (not flagged[id(r)], -key(r)))
    ranked += [RankedPort(r, flagged[id(r)]) for r in others]
    return ranked
