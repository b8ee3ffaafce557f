"""The kinds of trouble, their thresholds, and the order an operator should see ports in.

Which ports are flagged is decided by the detector (portmap/core/detector.py) against each
port's own baseline. A flood seen on its entry port and on every link it crosses is one
incident: its origin is the inbound sighting on an edge port with the quietest return
direction, because every port downstream carries the flood plus other traffic.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from operator import methodcaller
from typing import NamedTuple

from portmap.core.rates import SORT_COLUMNS, PortRates
from portmap.core.samples import PortKey
from portmap.core.thresholds import FlagThresholds
from portmap.core.topology import NO_PATH, FloodPath


class FlagKind(StrEnum):
    SMALL_PACKET_FLOOD = "small-packet flood"
    PACKET_FLOOD = "packet flood"
    BROADCAST_STORM = "broadcast storm"
    ERROR_BURST = "error burst"
    SATURATION = "saturation"
    FLAPPING = "flapping"
    BUSY_SINCE_START = "busy since start"
    """Far above the typical port from its first intervals, with large packets at a steady rate:
    a backup or a replication running when portmap started, more likely than a flood. It learns
    its own normal meanwhile; small-packet floods are never taken for it."""


FLOOD_KINDS = (FlagKind.SMALL_PACKET_FLOOD, FlagKind.PACKET_FLOOD)


class Reference(StrEnum):
    """What a flood's rate was compared with."""

    OWN_BASELINE = "own baseline"
    YOUNG_BASELINE = "young baseline"
    """The port's own, from fewer intervals than its thresholds' warm-up."""
    TYPICAL_PORT = "typical port"
    """The median port of the same poll, while the port has no baseline of its own."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a port is flagged, as data: faces write the sentence (portmap/present/reasons.py)."""

    metric: str
    """What was measured: a name of core/metrics.METRICS, 'util_pct' or 'oper_changes'."""
    value: float
    reference: Reference | None = None
    normal: float | None = None
    """The reference's level, in the metric's unit."""
    avg_pkt_bytes: float | None = None
    bcast_share: float | None = None
    speed_bps: int | None = None
    window_s: float | None = None
    """Flapping: the time from the first change counted to the last."""
    status: str | None = None
    """Flapping: the oper status now."""
    peak_s: float | None = None
    """Zoomed in (core/zoom.py): the value is the port's busiest read of this many seconds
    between polls, not the interval's average."""

    @property
    def ratio(self) -> float | None:
        """How many times its reference the value is ('160x its normal')."""
        return self.value / self.normal if self.normal else None


@dataclass(frozen=True, slots=True)
class PortFlag:
    kind: FlagKind
    direction: str
    """'in' (the attached device sends it) or 'out' (it is sent towards the attached device)."""
    rate: float
    evidence: Evidence


class RankedPort(NamedTuple):
    rates: PortRates
    flags: tuple[PortFlag, ...] = ()
    same_incident_as: tuple[str, int] | None = None
    """(device, if_index) of the incident's origin, on ports that only carry its flood."""
    since: float | None = None
    """When the port's current flagged episode began (epoch seconds)."""

    @property
    def flagged(self) -> bool:
        return bool(self.flags)

    @property
    def key(self) -> PortKey:
        return self.rates.device, self.rates.if_index


SORT_KEYS: dict[str, Callable[[PortRates], float]] = {sort: methodcaller("sort_key", sort) for sort in SORT_COLUMNS}
"""`--sort` keys of one port's record: rates.SORT_COLUMNS, the arrays' definition."""


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
    flags: Mapping[PortKey, tuple[PortFlag, ...]],
    sort: str = "pps",
    limits: FlagThresholds = FlagThresholds(),
    uplinks: Collection[PortKey] = frozenset(),
    since: Mapping[PortKey, float] | None = None,
    path: FloodPath = NO_PATH,
) -> list[RankedPort]:
    """Flood incidents first (origin, then the ports carrying it along `path`, outwards from
    the entry), other flagged ports, then the rest.

    `flags` are the detector's, per port. `uplinks` (device, ifIndex), where known, are never
    taken for a flood's entry port while an edge port sees the flood, and incidents entering
    at an edge port rank first.
    """
    key = SORT_KEYS[sort]
    started = since or {}
    flagged: dict[int, tuple[PortFlag, ...]] = {}
    """By id() of a port's rates, the flagged ports only: most ports are quiet."""
    quiet: list[PortRates] = []
    sightings = []
    for r in all_rates:
        port_flags = flags.get((r.device, r.if_index))
        if not port_flags:
            quiet.append(r)
            continue
        flagged[id(r)] = port_flags
        floods = [flag for flag in port_flags if flag.kind in FLOOD_KINDS]
        if floods:
            sightings.append((max(floods, key=lambda flag: flag.rate), r))
    incidents = []
    for group in _group_floods(sightings, limits.same_flood_tolerance):
        origin = _origin(group, uplinks)[1]
        carriers = [r for _, r in group if r is not origin]
        along = path.order(origin.device)
        incidents.append((origin, sorted(carriers, key=lambda r: (along((r.device, r.if_index)), -key(r)))))
    # An incident whose every sighting is on an uplink has not been seen entering yet (devices are
    # polled moments apart while a flood starts): the one entering at an edge port ranks above it.
    incidents.sort(key=lambda incident: ((incident[0].device, incident[0].if_index) in uplinks, -key(incident[0])))

    def ranked_port(r: PortRates, origin: PortRates | None = None) -> RankedPort:
        return RankedPort(r, flagged[id(r)], None if origin is None else (origin.device, origin.if_index),
                          started.get((r.device, r.if_index)))

    ranked: list[RankedPort] = []
    for origin, carriers in incidents:
        ranked.append(ranked_port(origin))
        ranked += [ranked_port(c, origin) for c in carriers]
    in_incident = {id(p.rates) for p in ranked}
    others = [r for r in all_rates if id(r) in flagged and id(r) not in in_incident]
    ranked += [ranked_port(r) for r in sorted(others, key=key, reverse=True)]
    ranked += [RankedPort(r) for r in sorted(quiet, key=key, reverse=True)]
    return ranked
