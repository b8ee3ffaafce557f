"""Spike detection: each port against its own normal, with hysteresis. Pure: time comes in.

A direction of a port is flagged when it is far above its own baseline: at least
`outlier_ratio` times its level, `min_score` mean absolute deviations above it, and above
an absolute floor (so 2 -> 20 pps is never an alarm). Until a port has `warmup_samples`
intervals of its own, it is compared with the typical port of the same poll instead.

A TCP transfer is no flood: data in large packets one way with acknowledgements in small
packets the other (a backup, a VM migration, an update wave) is judged by its utilisation
only. A flood has no such answer: a SYN flood's packets are small with little coming back,
a UDP flood's large with nothing coming back.

A port far above the typical port from its first interval on, with a bulk transfer's large
packets at a steady rate, is "busy since start", not a flood: it learns, so that a backup running when portmap
started becomes that port's normal after the warm-up. A small-packet flood running at start
stays a flood and teaches nothing, and so does a port that jumps far above what it showed so
far. The operator can also say that a flagged port's rate is normal (`accept`): it is learned
at once.

Once flagged, a port stays flagged while it stays above `hold_fraction` of the raising
thresholds, and clears after `clear_after` quiet intervals. Intervals without a valid rate
(first sample, reboot, counter reset, glitch) neither flag nor teach. An agent that caches
its counters shows near-zero intervals then a doubled or tripled one: the dips are held back
and the run is judged by its mean, so the catching-up interval is never a spike.

Most ports, most of the time, are below every floor, in no episode and not dipping: they
are told apart on arrays and only learn. The few others are judged port by port.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from portmap.core.baseline import Baseline, BaselineStore, PortIdentity, SeriesKey
from portmap.core.flags import Evidence, FlagKind, PortFlag, PortKey, Reference
from portmap.core.flapping import Flapping
from portmap.core.identity import unnamed
from portmap.core.metrics import BCAST, BPS, DIRECTIONS, LEARNED, LEARNED_NAMES, METRICS, PPS, TROUBLE
from portmap.core.rates import DeviceRates, DirectionRates, util_pct
from portmap.core.samples import DeviceSample
from portmap.core.thresholds import DeviceThresholds, FlagThresholds, holding
from portmap.core.zoom import Peak, Suspicion

DIP_SHARE = 0.25
"""An interval under this share of a warm port's normal may be a cache's unrefreshed interval."""
MAX_HELD_DIPS = 3
"""Consecutive dips held back at most (a 20 s cache polled every 5 s); more is a port gone quiet."""
MIN_DIP_LEVEL_PPS = 10.0
"""Ports quieter than this have no dips worth holding back."""
MIN_DIP_SAMPLES = 3
"""Dips are recognised from this many intervals on, before the baseline is trusted for flags:
a caching agent's pattern must not teach a young baseline its zeros one by one."""
STEADY_FACTOR = 2.0
"""A port is steady while within this factor of the level it showed so far."""
ACK_SHARE = 1 / 16
"""A TCP transfer's acknowledgements come back at this share of its data packets or more
(one per segment, one per two with delayed ACKs, fewer with receive offload)."""
UNTAUGHT_RISES = 12
"""Intervals in a row a direction whose packet rate jumped far above its own level (RISE_RATIO
times, and RISE_MIN_PPS at least) does not teach its baseline: a flood's or a burst's first and
last, partial intervals must not raise the level the next burst is measured against (a quiet
port taught a 580 pps partial interval in its second poll, and the next burst, 17x that, went
unflagged in the namespace lab). A higher level that stays is learned after these."""
RISE_MIN_PPS = 100.0
RISE_RATIO = 5.0
CHUNK_PORTS = 4096
"""Ports judged on arrays at once: a poll of 50,000 ports needs a few MB of temporaries, not 40."""
_PPS = LEARNED.index(PPS)
OPPOSITE = {"in": "out", "out": "in"}
"""The packet rate's position in a baseline's metrics."""


@dataclass(frozen=True, slots=True)
class Detection:
    flags: tuple[PortFlag, ...] = ()
    since: float | None = None
    """When this flagged episode began (epoch seconds)."""
    active: bool = True
    """Flagged by this interval's own rates; False while the episode waits out its quiet
    intervals before clearing (a burst that ended)."""


@dataclass(slots=True)
class _Episode:
    since: float
    flags: tuple[PortFlag, ...]
    quiet: int = 0


@dataclass(frozen=True, slots=True, eq=False)
class _Poll:
    """Some devices' ports that have a rate in one poll, on arrays: their slots and values."""

    slots: np.ndarray
    devices: tuple[str, ...]
    device_of: np.ndarray
    """Each port's device, as a position in `devices`."""
    if_indexes: np.ndarray
    kinds: np.ndarray
    """Each port's thresholds, as positions in Detector._limit_kinds."""
    per_second: np.ndarray
    """(ports, directions, METRICS)."""
    learnable: np.ndarray
    """(ports, directions, LEARNED): what each direction would teach its baseline."""
    util: np.ndarray
    speed_bps: np.ndarray
    small: np.ndarray
    """(ports, directions): traffic in packets under the port's small_packet_bytes (the SYN-flood shape)."""


class TypicalPort:
    """The median packet rate of a poll's ports in one direction, idle ones included, and the
    same without the port being judged.

    Leaving idle ports out let a small network's flood make itself typical: with a switch
    not answering, the flooding port and the router port it reaches were half of the busy
    ports, and neither stood out (seen in the namespace lab). For the same reason a port is
    compared with the others, not with a median it is part of: a router polled alone (two
    ports) made its own 40k pps flood half of what is typical, and flagged nothing.
    """

    def __init__(self, all_rates: Sequence[DeviceRates], direction: int) -> None:
        values = np.concatenate([rates.per_second[rates.ok, direction, PPS] for rates in all_rates]) if all_rates else np.zeros(0)
        self._sorted = np.sort(values[~np.isnan(values)])
        self._median = float(np.median(self._sorted)) if len(self._sorted) else 0.0

    def without(self, value: float) -> float:
        """The median of the other ports: `value` (one port's own rate) left out once."""
        count = len(self._sorted)
        at = int(np.searchsorted(self._sorted, value))
        if at == count or self._sorted[at] != value:  # not among them: the median of them all
            return self._median
        if count == 1:
            return 0.0
        rest = count - 1

        def nth(position: int) -> float:  # the position-th of the others, in order
            return float(self._sorted[position if position < at else position + 1])

        return nth(rest // 2) if rest % 2 else (nth(rest // 2 - 1) + nth(rest // 2)) / 2


def _side(values: np.ndarray) -> DirectionRates:
    return DirectionRates(*(None if value != value else float(value) for value in values.tolist()))


def _mean(sides: Sequence[DirectionRates]) -> DirectionRates:
    def avg(values: Sequence[float | None]) -> float | None:
        return None if any(v is None for v in values) else sum(values) / len(values)  # type: ignore[arg-type]
    return DirectionRates(*(avg(values) for values in zip(*sides)))


def _troubled(flags: Sequence[PortFlag]) -> set[str]:
    """The directions whose flags say their traffic is not normal (busy since start may be)."""
    named = {flag.direction for flag in flags if flag.kind is not FlagKind.BUSY_SINCE_START}
    return set(DIRECTIONS) if "both" in named else named


def _chunks(all_rates: Sequence[DeviceRates]) -> Iterator[Sequence[DeviceRates]]:
    """Consecutive devices with about CHUNK_PORTS ports in all."""
    start, ports = 0, 0
    for end, rates in enumerate(all_rates, 1):
        ports += len(rates)
        if ports >= CHUNK_PORTS or end == len(all_rates):
            yield all_rates[start:end]
            start, ports = end, 0


class Detector:
    """Keeps every port's baselines and flagged episodes between polls."""

    def __init__(self, limits: FlagThresholds = FlagThresholds(), baselines: Mapping[SeriesKey, Baseline] | None = None,
                 flagged_since: Mapping[PortIdentity, float] | None = None) -> None:
        """`limits`: every port's thresholds until its device's own are set (set_ports).
        `flagged_since`: ports an earlier run had flagged moments ago, with when that began: an
        episode of theirs that starts now continues it."""
        self.limits = limits
        self._holds: dict[FlagThresholds, FlagThresholds] = {}
        self.baselines = BaselineStore(baselines)
        self._device_limits: dict[str, DeviceThresholds] = {}
        self._identities: dict[str, Mapping[int, str]] = {}
        """Each device's ifIndex -> port identity, as its interfaces were last read."""
        self._limit_kinds: list[FlagThresholds] = []
        self._limit_kind_of: list[int] = []
        """By slot: the port's thresholds, as a position in _limit_kinds."""
        self._device_slots: dict[str, tuple[bytes, np.ndarray]] = {}
        self._episodes: dict[PortKey, _Episode] = {}
        self._dips: dict[tuple[PortKey, str], list[DirectionRates]] = {}
        self._resumed = dict(flagged_since or {})
        self._accepted: set[PortKey] = set()
        """Ports the operator said carry normal traffic: their next interval is learned at once."""
        self._flapping = Flapping(limits)
        self._peaks: Mapping[PortKey, Peak] = {}
        self._suspicions: dict[PortKey, Suspicion] = {}
        """Ports worth zooming in on, found since take_suspicions last took them."""

    def set_ports(self, device: str, identities: Mapping[int, str], limits: DeviceThresholds) -> None:
        """What a device's interfaces said when they were read: each ifIndex's port identity
        (core/identity.py), which its baselines follow, and the thresholds (core/thresholds.py).
        A flagged episode follows its port to its new ifIndex; a port's held dips, made under
        the old numbering, are dropped."""
        before = self._identities.get(device, {})
        self._identities[device] = dict(identities)
        self._device_limits[device] = limits
        self._device_slots.pop(device, None)
        index_of = {identity: if_index for if_index, identity in identities.items()}
        moved = {if_index for if_index, identity in before.items() if identities.get(if_index) != identity}
        for if_index in moved:
            episode = self._episodes.pop((device, if_index), None)
            now_at = index_of.get(before[if_index])
            if episode is not None and now_at is not None:
                self._episodes[(device, now_at)] = episode
            for direction in DIRECTIONS:
                self._dips.pop(((device, if_index), direction), None)

    def take_over(self, baselines: Mapping[SeriesKey, Baseline], flagged_since: Mapping[PortIdentity, float]) -> None:
        """Devices this detector judges from now on, from where another poller left them: their
        baselines, and their ports' episodes that a flag now continues."""
        self.baselines.adopt(baselines)
        self._resumed.update(flagged_since)

    def forget(self, device: str) -> None:
        """A device another poller judges from now on: its episodes and held dips dropped (its
        baselines stay, replaced by the store's if it comes back)."""
        for key in [key for key in self._episodes if key[0] == device]:
            del self._episodes[key]
        for held in [held for held in self._dips if held[0][0] == device]:
            del self._dips[held]

    def flagged_since(self) -> Iterator[tuple[PortIdentity, float]]:
        """The ports in a flagged episode, by identity, with when it began (to keep between runs)."""
        return ((self._identity(key), episode.since) for key, episode in self._episodes.items())

    def conclude(self, now: float) -> None:
        """The watch stops: the last interval, which no next one can flag now, is taught."""
        store = self.baselines
        slots = np.arange(len(self._limit_kind_of))
        store.learn(slots, store.unconfirmed[slots], self._learning_rates()[np.array(self._limit_kind_of, np.int64)], now)
        store.unconfirmed[slots] = np.nan

    def _learning_rates(self) -> np.ndarray:
        """Each kind of thresholds' learning rate, by position in _limit_kinds."""
        return np.array([kind.learning_rate for kind in self._limit_kinds]) if self._limit_kinds else np.zeros(0)

    def take_suspicions(self) -> dict[PortKey, Suspicion]:
        """The ports worth zooming in on (core/zoom.py) found since the last call."""
        found, self._suspicions = self._suspicions, {}
        return found

    def accept(self, key: PortKey) -> None:
        """The operator says the port's traffic is normal (a backup, a replication): its next
        interval becomes its warm baseline and its flagged episode ends."""
        self._accepted.add(key)

    def _identity(self, key: PortKey) -> PortIdentity:
        found = self._identities.get(key[0], {}).get(key[1])
        return key[0], unnamed(key[1]) if found is None else found

    def _series(self, key: PortKey, direction: str, metric: str) -> SeriesKey:
        return (*self._identity(key), direction, metric)

    def _limit_kind(self, key: PortKey) -> int:
        device = self._device_limits.get(key[0])
        limits = self.limits if device is None else device.of(key[1])
        if limits not in self._limit_kinds:
            self._limit_kinds.append(limits)
        return self._limit_kinds.index(limits)

    def _slots(self, rates: DeviceRates) -> np.ndarray:
        """The slots of a device's rows, looked up again only when its interface list changed."""
        stamp = rates.if_indexes.tobytes()
        known = self._device_slots.get(rates.device)
        if known is not None and known[0] == stamp:
            return known[1]
        slots = []
        for if_index in rates.if_indexes.tolist():
            key = (rates.device, if_index)
            slot = self.baselines.slot(self._identity(key))
            if slot == len(self._limit_kind_of):
                self._limit_kind_of.append(0)
            self._limit_kind_of[slot] = self._limit_kind(key)
            slots.append(slot)
        found = np.array(slots, np.int64)
        self._device_slots[rates.device] = (stamp, found)
        return found

    def _poll(self, all_rates: Sequence[DeviceRates], kind_of: np.ndarray) -> _Poll:
        """`kind_of`: _limit_kind_of as an array, made once a poll."""
        slots, per_second, speeds, device_of, if_indexes = [], [], [], [], []
        for position, rates in enumerate(all_rates):
            ok = rates.ok
            slots.append(self._slots(rates)[ok])
            per_second.append(rates.per_second[ok])
            speeds.append(rates.speed_bps[ok])
            if_indexes.append(rates.if_indexes[ok])
            device_of.append(np.full(len(if_indexes[-1]), position, np.int32))
        values = np.concatenate(per_second) if per_second else np.zeros((0, len(DIRECTIONS), len(METRICS)))
        speed = np.concatenate(speeds) if speeds else np.zeros(0, np.int64)
        util = util_pct(values, speed)
        all_slots = np.concatenate(slots) if slots else np.zeros(0, np.int64)
        kinds = kind_of[all_slots] if len(all_slots) else np.zeros(0, np.int64)
        devices = tuple(rates.device for rates in all_rates)
        owners = np.concatenate(device_of) if device_of else np.zeros(0, np.int32)
        indexes = np.concatenate(if_indexes) if if_indexes else np.zeros(0, np.int64)
        sizes = np.array([kind.small_packet_bytes for kind in self._limit_kinds])[kinds] if self._limit_kinds else np.zeros(0)
        with np.errstate(invalid="ignore"):
            small = values[:, :, BPS] < 8 * values[:, :, PPS] * sizes[:, None]
        return _Poll(all_slots, devices, owners, indexes, kinds, values, values[..., LEARNED], util, speed, small)

    def observe(self, all_rates: Sequence[DeviceRates], now: float, samples: Sequence[DeviceSample] = (),
                peaks: Mapping[PortKey, Peak] | None = None) -> dict[PortKey, Detection]:
        """One poll's rates at wall-clock time `now` -> the flags of each port that has any.
        `samples`: each device's last sample, for flapping (a device that did not answer keeps its last).
        `peaks`: zoomed ports' busiest second since the last poll (core/zoom.py), judged as an
        interval is where the interval itself raises nothing, and never learned."""
        self._peaks = peaks or {}
        typical = {"in": TypicalPort(all_rates, 0), "out": TypicalPort(all_rates, 1)}
        flaps = self._flapping.observe(samples, now)
        for rates in all_rates:
            self._slots(rates)  # every port has its slot and its kind of thresholds before they are looked up
        kind_of = np.array(self._limit_kind_of, np.int64)
        store = self.baselines
        involved = {*self._episodes, *(key for key, _ in self._dips), *self._accepted, *self._peaks}
        judged_alone = np.array([store.slots[port] for port in map(self._identity, involved) if port in store.slots], np.int64)
        detections: dict[PortKey, Detection] = {}
        for chunk in _chunks(all_rates):
            self._judge(self._poll(chunk, kind_of), judged_alone, typical, now, detections)
        for key, flag in flaps.items():
            found = detections.get(key)
            since = self._flapping.since[key]
            detections[key] = Detection((*found.flags, flag), min(found.since or since, since)) if found else Detection((flag,), since)
        return detections

    def _judge(self, poll: _Poll, judged_alone: np.ndarray, typical: Mapping[str, TypicalPort], now: float,
               detections: dict[PortKey, Detection]) -> None:
        """Some devices' ports: the quiet ones learn on arrays, the others are judged one by one
        (`judged_alone`: the slots of ports in an episode or holding dips)."""
        quiet = self._quiet(poll, judged_alone)
        to_learn = poll.learnable.copy()
        alarmed = np.zeros(to_learn.shape[:2], bool)
        for row in np.flatnonzero(~quiet).tolist():
            key = (poll.devices[poll.device_of[row]], int(poll.if_indexes[row]))
            flags, learned = self._port(key, poll, row, typical, now)
            to_learn[row] = learned
            if flags:
                episode = self._episodes.get(key)
                active = episode is None or episode.quiet == 0
                detections[key] = Detection(flags, episode.since if episode else None, active)
                if active:
                    alarmed[row] = [name in _troubled(flags) for name in DIRECTIONS]
        rising = self._untaught_rises(poll)
        self._suspect_rises(poll, rising & ~alarmed, now)
        to_learn[rising] = np.nan
        store = self.baselines
        confirmed = store.unconfirmed[poll.slots]
        confirmed[alarmed] = np.nan
        store.unconfirmed[poll.slots] = to_learn
        store.learn(poll.slots, confirmed, self._learning_rates()[poll.kinds], now)

    def _quiet(self, poll: _Poll, judged_alone: np.ndarray) -> np.ndarray:
        """Ports that can only learn: no episode, no held dip, no dip now, under every floor."""
        def floor(name: str) -> np.ndarray:
            return np.array([getattr(kind, name) for kind in self._limit_kinds])[poll.kinds] if self._limit_kinds else np.zeros(0)

        values = poll.per_second
        with np.errstate(invalid="ignore"):
            pps = values[:, :, PPS]
            loud = (pps >= floor("min_flood_pps")[:, None]).any(axis=1)
            loud |= ((pps >= floor("min_small_flood_pps")[:, None]) & poll.small).any(axis=1)
            loud |= (values[:, :, BCAST] >= floor("min_storm_pps")[:, None]).any(axis=1)
            loud |= (values[:, :, TROUBLE] >= floor("min_errors_ps")[:, None]).any(axis=1)
            loud |= poll.util >= floor("saturation_pct")
            store = self.baselines
            level, samples = store.level[poll.slots, :, _PPS], store.samples[poll.slots, :, _PPS]
            dips = (samples >= MIN_DIP_SAMPLES) & (level >= MIN_DIP_LEVEL_PPS) & (values[:, :, PPS] < DIP_SHARE * level)
        loud |= dips.any(axis=1)
        if len(judged_alone):
            loud |= np.isin(poll.slots, judged_alone)
        return ~loud

    def _hold(self, limits: FlagThresholds) -> FlagThresholds:
        if limits not in self._holds:
            self._holds[limits] = holding(limits)
        return self._holds[limits]

    def _port(self, key: PortKey, poll: _Poll, row: int, typical: Mapping[str, TypicalPort],
              now: float) -> tuple[tuple[PortFlag, ...], np.ndarray]:
        """One port judged on its own: its flags, and what it teaches its baselines (NaN: nothing)."""
        limits = self._limit_kinds[poll.kinds[row]]
        slot = int(poll.slots[row])
        sides: dict[str, DirectionRates] = {}
        for direction, name in enumerate(DIRECTIONS):
            side = _side(poll.per_second[row, direction])
            held = self._dips.pop((key, name), [])
            dip = self._is_dip(key, name, side)
            if dip and len(held) < MAX_HELD_DIPS:
                self._dips[(key, name)] = [*held, side]
                continue
            if dip:
                for interval in held:  # quiet for real: the held intervals are normal after all
                    self._learn_now(slot, direction, interval, limits, now)
                held = []
            sides[name] = _mean([*held, side])
        if key in self._accepted:
            self._accepted.discard(key)
            self._episodes.pop(key, None)
            settled = np.array([self._teaching(sides[name]) if name in sides else [np.nan] * len(LEARNED) for name in DIRECTIONS])
            self.baselines.settle(slot, settled, limits.warmup_samples, now)
            return (), np.full((len(DIRECTIONS), len(LEARNED)), np.nan)
        speed, util = int(poll.speed_bps[row]), poll.util[row]
        raised = self._flags(key, sides, speed, util, typical, limits) or self._peak_flags(key, speed, typical, limits)
        episode = self._episodes.get(key)
        if raised:
            if episode is None:
                episode = self._episodes[key] = _Episode(self._resumed.pop(self._identity(key), now), raised)
            episode.flags, episode.quiet = raised, 0
        elif episode is not None:
            holding = self._flags(key, sides, speed, util, typical, self._hold(limits))
            if holding:
                episode.flags, episode.quiet = holding, 0
            else:
                episode.quiet += 1
                if episode.quiet >= limits.clear_after:
                    del self._episodes[key]
                    episode = None
                    self._suspicions[key] = Suspicion("its flood ended", now)
        flags = episode.flags if episode else ()
        troubled = _troubled(flags)
        learned = np.full((len(DIRECTIONS), len(LEARNED)), np.nan)
        for direction, name in enumerate(DIRECTIONS):
            if name in sides and name not in troubled:
                learned[direction] = self._teaching(sides[name])
        return flags, learned

    def _peak_flags(self, key: PortKey, speed_bps: int, typical: Mapping[str, TypicalPort],
                    limits: FlagThresholds) -> tuple[PortFlag, ...]:
        """The port's busiest zoomed second judged as an interval, its evidence saying so."""
        peak = self._peaks.get(key)
        if peak is None:
            return ()
        sides = {name: _side(peak.per_second[direction]) for direction, name in enumerate(DIRECTIONS)}
        flags = self._flags(key, sides, speed_bps, float("nan"), typical, limits)
        return tuple(replace(flag, evidence=replace(flag.evidence, peak_s=peak.span_s)) for flag in flags)

    def _suspect_rises(self, poll: _Poll, rising: np.ndarray, now: float) -> None:
        """Ports that jumped far above their own level without a flag: worth zooming in on."""
        store = self.baselines
        for row in np.flatnonzero(rising.any(axis=1)).tolist():
            key = (poll.devices[poll.device_of[row]], int(poll.if_indexes[row]))
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.nanmax(poll.per_second[row, :, PPS] / store.level[poll.slots[row], :, _PPS])
            self._suspicions[key] = Suspicion(f"jumped {ratio:.0f}x its normal" if np.isfinite(ratio) else "jumped from silence", now)

    def _untaught_rises(self, poll: _Poll) -> np.ndarray:
        """(ports, directions): where the packet rate jumped far above the direction's own level,
        for at most UNTAUGHT_RISES intervals in a row (counted in the store, per slot). A level of
        fewer than MIN_DIP_SAMPLES intervals is held so only against small packets (the burst's
        shape): an agent's cached counters make a young level jump (0, 0, then 3x) and it must learn."""
        store = self.baselines
        level, samples = store.level[poll.slots, :, _PPS], store.samples[poll.slots, :, _PPS]
        pps = poll.per_second[:, :, PPS]
        with np.errstate(invalid="ignore"):
            shaped = (samples >= MIN_DIP_SAMPLES) | poll.small
            jump = (samples > 0) & shaped & (pps >= np.maximum(RISE_MIN_PPS, RISE_RATIO * level))
        run = np.where(jump, store.rises[poll.slots] + 1, 0)
        store.rises[poll.slots] = np.minimum(run, UNTAUGHT_RISES + 1)
        return jump & (run <= UNTAUGHT_RISES)

    @staticmethod
    def _teaching(side: DirectionRates) -> list[float]:
        return [np.nan if value is None else value for value in (getattr(side, metric) for metric in LEARNED_NAMES)]

    def _learn_now(self, slot: int, direction: int, side: DirectionRates, limits: FlagThresholds, now: float) -> None:
        values = np.full((1, len(DIRECTIONS), len(LEARNED)), np.nan)
        values[0, direction] = self._teaching(side)
        self.baselines.learn(np.array([slot]), values, np.array([limits.learning_rate]), now)

    def _is_dip(self, key: PortKey, direction: str, side: DirectionRates) -> bool:
        baseline = self.baselines.get(self._series(key, direction, "pps"))
        if baseline is None or not baseline.warm(MIN_DIP_SAMPLES) or baseline.level < MIN_DIP_LEVEL_PPS:
            return False
        return side.pps is not None and side.pps < DIP_SHARE * baseline.level

    def _normal(self, key: PortKey, direction: str, metric: str, limits: FlagThresholds) -> Baseline | None:
        baseline = self.baselines.get(self._series(key, direction, metric))
        return baseline if baseline is not None and baseline.warm(limits.warmup_samples) else None

    def _above(self, value: float, floor: float, normal: Baseline | None, fallback: float, limits: FlagThresholds,
               ratio: float | None = None) -> bool:
        """At or over the floor, and far above the port's normal (or the fallback while it has none):
        `ratio` times it (outlier_ratio unless given) and min_score deviations."""
        ratio = limits.outlier_ratio if ratio is None else ratio
        if value < floor:
            return False
        if normal is None:
            return value >= ratio * fallback
        spread = max(normal.spread, 0.1 * normal.level, 1.0)
        return value >= ratio * normal.level and value - normal.level >= limits.min_score * spread

    @staticmethod
    def _transfer(side: DirectionRates, opposite: DirectionRates | None, limits: FlagThresholds) -> bool:
        """One half of a TCP transfer: large data packets answered by ACKs, or ACKs answering them."""
        def data(rates: DirectionRates | None) -> bool:
            size = rates.avg_pkt_bytes if rates is not None else None
            return size is not None and size >= limits.bulk_packet_bytes

        def acks(rates: DirectionRates | None) -> bool:
            size = rates.avg_pkt_bytes if rates is not None else None
            return size is not None and size < limits.small_packet_bytes
        if opposite is None or not side.pps or not opposite.pps:
            return False
        if data(side) and acks(opposite):
            return opposite.pps >= ACK_SHARE * side.pps
        return acks(side) and data(opposite) and ACK_SHARE * opposite.pps <= side.pps <= opposite.pps

    def _flood(self, key: PortKey, direction: str, pps: float, size: float | None, normal: Baseline | None, typical: float,
               limits: FlagThresholds) -> bool:
        """Far above its normal at the flood floor, or, in small packets, far further above its own
        level at the lower floor: a young baseline of a few intervals says more about a quiet port
        (0.3 pps) than the typical port of a busy network does."""
        if self._above(pps, limits.min_flood_pps, normal, typical, limits):
            return True
        if size is None or size >= limits.small_packet_bytes:
            return False
        young = self.baselines.get(self._series(key, direction, "pps"))
        own = normal or (young if young is not None and young.warm(MIN_DIP_SAMPLES) else None)
        return self._above(pps, limits.min_small_flood_pps, own, typical, limits, limits.small_flood_ratio)

    def _flags(self, key: PortKey, sides: Mapping[str, DirectionRates], speed_bps: int, util: float,
               typical: Mapping[str, TypicalPort], limits: FlagThresholds) -> tuple[PortFlag, ...]:
        flags: list[PortFlag] = []
        for direction, side in sides.items():
            transfer = self._transfer(side, sides.get(OPPOSITE[direction]), limits)
            normal = self._normal(key, direction, "pps", limits)
            others = typical[direction].without(side.pps) if side.pps is not None else 0.0
            size = side.avg_pkt_bytes
            if side.pps is not None and not transfer and self._flood(key, direction, side.pps, size, normal, others, limits):
                reference, level = self._reference(key, direction, others, limits)
                if size is not None and size < limits.small_packet_bytes:
                    kind = FlagKind.SMALL_PACKET_FLOOD
                elif normal is None and size is not None and size >= limits.bulk_packet_bytes and self._steady(key, direction, side.pps):
                    kind, reference, level = FlagKind.BUSY_SINCE_START, Reference.TYPICAL_PORT, others
                else:
                    kind = FlagKind.PACKET_FLOOD
                flags.append(PortFlag(kind, direction, side.pps, Evidence("pps", side.pps, reference, level, size)))
            share = side.bcast_share
            storm_normal = self._normal(key, direction, "bcast_pps", limits)
            if (side.bcast_pps is not None and share is not None and share >= limits.storm_share
                    and self._above(side.bcast_pps, limits.min_storm_pps, storm_normal, 0.0, limits)):
                flags.append(PortFlag(FlagKind.BROADCAST_STORM, direction, side.bcast_pps,
                                      Evidence("bcast_pps", side.bcast_pps, *self._own(storm_normal), bcast_share=share)))
            trouble_normal = self._normal(key, direction, "trouble_ps", limits)
            if side.trouble_ps is not None and self._above(side.trouble_ps, limits.min_errors_ps, trouble_normal, 0.0, limits):
                flags.append(PortFlag(FlagKind.ERROR_BURST, direction, side.trouble_ps,
                                      Evidence("trouble_ps", side.trouble_ps, *self._own(trouble_normal))))
        if util == util and util >= limits.saturation_pct and sides:
            flags.append(PortFlag(FlagKind.SATURATION, "both", float(util), Evidence("util_pct", float(util), speed_bps=speed_bps)))
        return tuple(flags)

    def _steady(self, key: PortKey, direction: str, pps: float) -> bool:
        """Within STEADY_FACTOR of the level the port showed so far in this direction (busy from
        its first interval on, since a busy port learns); true on its first interval."""
        young = self.baselines.get(self._series(key, direction, "pps"))
        return young is None or young.level / STEADY_FACTOR <= pps <= young.level * STEADY_FACTOR

    @staticmethod
    def _own(normal: Baseline | None) -> tuple[Reference | None, float | None]:
        return (None, None) if normal is None else (Reference.OWN_BASELINE, normal.level)

    def _reference(self, key: PortKey, direction: str, typical: float,
                   limits: FlagThresholds) -> tuple[Reference | None, float | None]:
        """What a flood is measured against: the port's own baseline, young or warm, else the
        typical port of this poll; (None, None) where neither says anything."""
        baseline = self.baselines.get(self._series(key, direction, "pps"))
        if baseline is not None and baseline.warm(MIN_DIP_SAMPLES) and baseline.level > 0:
            young = not baseline.warm(limits.warmup_samples)
            return (Reference.YOUNG_BASELINE if young else Reference.OWN_BASELINE), baseline.level
        return (Reference.TYPICAL_PORT, typical) if typical else (None, None)
