"""Spike detection: each port against its own normal, with hysteresis. Pure: time comes in.

A direction of a port is flagged when it is far above its own baseline: at least
`outlier_ratio` times its level, `min_score` mean absolute deviations above it, and above
an absolute floor (so 2 -> 20 pps is never an alarm). Until a port has `warmup_samples`
intervals of its own, it is compared with the typical port of the same poll instead.

Once flagged, a port stays flagged while it stays above `hold_fraction` of the raising
thresholds, and clears after `clear_after` quiet intervals. Intervals without a valid rate
(first sample, reboot, counter reset, glitch) neither flag nor teach. An agent that caches
its counters shows near-zero intervals then a doubled or tripled one: the dips are held back
and the run is judged by its mean, so the catching-up interval is never a spike.
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from portmap import format as fmt
from portmap.core.baseline import Baseline, SeriesKey
from portmap.core.flags import FlagKind, FlagThresholds, PortFlag, PortKey
from portmap.core.rates import DirectionRates, PortRates, RateStatus

DIP_SHARE = 0.25
"""An interval under this share of a warm port's normal may be a cache's unrefreshed interval."""
MAX_HELD_DIPS = 3
"""Consecutive dips held back at most (a 20 s cache polled every 5 s); more is a port gone quiet."""
MIN_DIP_LEVEL_PPS = 10.0
"""Ports quieter than this have no dips worth holding back."""
MIN_DIP_SAMPLES = 3
"""Dips are recognised from this many intervals on, before the baseline is trusted for flags:
a caching agent's pattern must not teach a young baseline its zeros one by one."""


@dataclass(frozen=True, slots=True)
class Detection:
    flags: tuple[PortFlag, ...] = ()
    since: float | None = None
    """When this flagged episode began (epoch seconds)."""


@dataclass(slots=True)
class _Episode:
    since: float
    flags: tuple[PortFlag, ...]
    quiet: int = 0


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


def _mean(sides: Sequence[DirectionRates]) -> DirectionRates:
    def avg(name: str) -> float | None:
        values = [getattr(side, name) for side in sides]
        return None if any(v is None for v in values) else sum(values) / len(values)
    return DirectionRates(avg("bps"), avg("pps"), avg("mcast_pps"), avg("bcast_pps"), avg("errors_ps"), avg("discards_ps"))


def _value(side: DirectionRates, metric: str) -> float | None:
    if metric == "errors_ps":
        if side.errors_ps is None and side.discards_ps is None:
            return None
        return (side.errors_ps or 0.0) + (side.discards_ps or 0.0)
    value: float | None = getattr(side, metric)
    return value


class Detector:
    """Keeps every port's baselines and flagged episodes between polls."""

    def __init__(self, limits: FlagThresholds = FlagThresholds(), baselines: dict[SeriesKey, Baseline] | None = None,
                 limits_for: Callable[[PortKey], FlagThresholds] | None = None) -> None:
        """`limits_for` gives a port its own thresholds (the inventory's per-device and per-port
        `spikes:`); without it every port has `limits`."""
        self.limits = limits
        self.limits_for = limits_for or (lambda key: limits)
        self._holds: dict[FlagThresholds, FlagThresholds] = {}
        self.baselines: dict[SeriesKey, Baseline] = baselines if baselines is not None else {}
        self._episodes: dict[PortKey, _Episode] = {}
        self._dips: dict[tuple[PortKey, str], list[DirectionRates]] = {}
        self._oper: dict[PortKey, tuple[str, deque[float]]] = {}

    def observe(self, all_rates: Sequence[PortRates], now: float,
                oper_status: Mapping[PortKey, str] | None = None) -> dict[PortKey, Detection]:
        """One poll's rates (and oper status) at wall-clock time `now` -> each port's flags."""
        typical = {"in": typical_pps(all_rates, "in"), "out": typical_pps(all_rates, "out")}
        flaps = self._flapping(oper_status or {}, now)
        detections: dict[PortKey, Detection] = {}
        for rates in all_rates:
            key = (rates.device, rates.if_index)
            flags = self._port(rates, typical, now) if rates.status is RateStatus.OK else ()
            if key in flaps:
                flags += (flaps[key],)
            episode = self._episodes.get(key)
            detections[key] = Detection(flags, episode.since if episode and flags else None)
        for key, flag in flaps.items():
            detections.setdefault(key, Detection((flag,), now))
        return detections

    def _hold(self, limits: FlagThresholds) -> FlagThresholds:
        """What keeps a flagged port flagged: `hold_fraction` of each raising threshold."""
        if limits not in self._holds:
            fraction = limits.hold_fraction
            self._holds[limits] = replace(
                limits, min_flood_pps=limits.min_flood_pps * fraction, outlier_ratio=max(1.0, limits.outlier_ratio * fraction),
                min_score=limits.min_score * fraction, min_storm_pps=limits.min_storm_pps * fraction,
                min_errors_ps=limits.min_errors_ps * fraction, saturation_pct=limits.saturation_pct - 10.0)
        return self._holds[limits]

    def _port(self, rates: PortRates, typical: Mapping[str, float], now: float) -> tuple[PortFlag, ...]:
        key = (rates.device, rates.if_index)
        limits = self.limits_for(key)
        sides: dict[str, DirectionRates] = {}
        for direction, side in (("in", rates.inbound), ("out", rates.outbound)):
            if side is None:
                continue
            held = self._dips.pop((key, direction), [])
            dip = self._is_dip(key, direction, side)
            if dip and len(held) < MAX_HELD_DIPS:
                self._dips[(key, direction)] = [*held, side]
                continue
            if dip:
                for interval in held:  # quiet for real: the held intervals are normal after all
                    self._learn(key, direction, interval, now, limits)
                held = []
            sides[direction] = _mean([*held, side])
        raised = self._flags(rates, sides, typical, limits)
        episode = self._episodes.get(key)
        if raised:
            if episode is None:
                episode = self._episodes[key] = _Episode(now, raised)
            episode.flags, episode.quiet = raised, 0
        elif episode is not None:
            holding = self._flags(rates, sides, typical, self._hold(limits))
            if holding:
                episode.flags, episode.quiet = holding, 0
            else:
                episode.quiet += 1
                if episode.quiet >= limits.clear_after:
                    del self._episodes[key]
                    episode = None
        flags = episode.flags if episode else ()
        troubled = {flag.direction for flag in flags}
        for direction, side in sides.items():
            if direction not in troubled and "both" not in troubled:
                self._learn(key, direction, side, now, limits)
        return flags

    def _is_dip(self, key: PortKey, direction: str, side: DirectionRates) -> bool:
        baseline = self.baselines.get((*key, direction, "pps"))
        if baseline is None or not baseline.warm(MIN_DIP_SAMPLES) or baseline.level < MIN_DIP_LEVEL_PPS:
            return False
        return side.pps is not None and side.pps < DIP_SHARE * baseline.level

    def _learn(self, key: PortKey, direction: str, side: DirectionRates, now: float, limits: FlagThresholds) -> None:
        for metric in ("pps", "bps", "bcast_pps", "errors_ps"):
            value = _value(side, metric)
            if value is not None:
                series = (*key, direction, metric)
                baseline = self.baselines.get(series)
                if baseline is None:
                    baseline = self.baselines[series] = Baseline()
                baseline.learn(value, limits.learning_rate, now)

    def _normal(self, key: PortKey, direction: str, metric: str, limits: FlagThresholds) -> Baseline | None:
        baseline = self.baselines.get((*key, direction, metric))
        return baseline if baseline is not None and baseline.warm(limits.warmup_samples) else None

    def _above(self, value: float, floor: float, normal: Baseline | None, fallback: float, limits: FlagThresholds) -> bool:
        """At or over the floor, and far above the port's normal (or the fallback while it has none)."""
        if value < floor:
            return False
        if normal is None:
            return value >= limits.outlier_ratio * fallback
        spread = max(normal.spread, 0.1 * normal.level, 1.0)
        return value >= limits.outlier_ratio * normal.level and value - normal.level >= limits.min_score * spread

    def _flags(self, rates: PortRates, sides: Mapping[str, DirectionRates], typical: Mapping[str, float],
               limits: FlagThresholds) -> tuple[PortFlag, ...]:
        key = (rates.device, rates.if_index)
        flags: list[PortFlag] = []
        for direction, side in sides.items():
            verb = "sending" if direction == "in" else "receiving"
            normal = self._normal(key, direction, "pps", limits)
            if side.pps is not None and self._above(side.pps, limits.min_flood_pps, normal, typical[direction], limits):
                size = side.avg_pkt_bytes
                kind = FlagKind.SMALL_PACKET_FLOOD if size is not None and size < limits.small_packet_bytes else FlagKind.PACKET_FLOOD
                times = self._how_far(key, direction, side.pps, typical[direction], limits)
                flags.append(PortFlag(kind, direction, side.pps, f"{verb} {fmt.pps(side.pps)} of {fmt.nbytes(size)} packets: {kind}{times}"))
            share = side.bcast_share
            storm_normal = self._normal(key, direction, "bcast_pps", limits)
            if (side.bcast_pps is not None and share is not None and share >= limits.storm_share
                    and self._above(side.bcast_pps, limits.min_storm_pps, storm_normal, 0.0, limits)):
                flags.append(PortFlag(FlagKind.BROADCAST_STORM, direction, side.bcast_pps,
                                      f"broadcast storm: {verb} {fmt.pps(side.bcast_pps)} of broadcasts ({share:.0%} of packets)"))
            errors = _value(side, "errors_ps")
            if errors is not None and self._above(errors, limits.min_errors_ps, self._normal(key, direction, "errors_ps", limits), 0.0, limits):
                flags.append(PortFlag(FlagKind.ERROR_BURST, direction, errors,
                                      f"error burst: {fmt.per_second(errors)} {direction}put errors and discards"))
        util = rates.util_pct
        if util is not None and util >= limits.saturation_pct and sides:
            flags.append(PortFlag(FlagKind.SATURATION, "both", util, f"saturated: {fmt.pct(util)} of {fmt.bps(rates.speed_bps)}"))
        return tuple(flags)

    def _how_far(self, key: PortKey, direction: str, pps: float, typical: float, limits: FlagThresholds) -> str:
        """', 160x its normal' for the reason line: against the port's own baseline, young or warm,
        else against the typical port of this poll; '' where neither says anything."""
        baseline = self.baselines.get((*key, direction, "pps"))
        if baseline is not None and baseline.warm(MIN_DIP_SAMPLES) and baseline.level > 0:
            young = "" if baseline.warm(limits.warmup_samples) else " so far"
            return f", {pps / baseline.level:.0f}x its normal{young}"
        return f", {pps / typical:.0f}x the typical port" if typical else ""

    def _flapping(self, oper_status: Mapping[PortKey, str], now: float) -> dict[PortKey, PortFlag]:
        limits, flapping = self.limits, {}
        for key, status in oper_status.items():
            previous = self._oper.get(key)
            if previous is None:
                self._oper[key] = (status, deque())
                continue
            last, changes = previous
            if status != last:
                changes.append(now)
            while changes and now - changes[0] > limits.flap_window_s:
                changes.popleft()
            self._oper[key] = (status, changes)
            if len(changes) >= limits.flap_changes:
                minutes = max(1, round((now - changes[0]) / 60))
                flapping[key] = PortFlag(FlagKind.FLAPPING, "both", float(len(changes)),
                                         f"flapping: oper status changed {len(changes)} times in {minutes} min, now {status}")
        return flapping

