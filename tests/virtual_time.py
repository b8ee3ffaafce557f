"""A switch in virtual time for the detector's scenarios: traffic per second, counters, polls; no sleeping.

Each port's traffic is a function of the second; the switch integrates it into 64-bit
counters, can clear a port's counters, reboot (sysUpTime and counters start again) or
cache its counters like net-snmp and Junos do (they move only every `cache_s` seconds).
The run goes through the product's own pipeline: compute_device_rates, then the Detector.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from portmap.core.detector import Detection, Detector
from portmap.core.flags import FlagKind
from portmap.core.rates import compute_device_rates
from portmap.core.samples import Counter, DeviceSample, InterfaceInfo, PortCounters

GIGABIT = 10**9
DEVICE = "sw1"


@dataclass(frozen=True)
class Flow:
    """One direction of a port during one second."""

    pps: float
    size: float = 600.0
    bcast_share: float = 0.0
    errors_ps: float = 0.0


Profile = Callable[[int], tuple[Flow, Flow]]
"""second -> (in, out): `in` is what the attached host sends."""


def office_port(seed: int, pps: float, period_s: float = 7200.0) -> Profile:
    """Noisy traffic with a daily-looking swing (compressed into `period_s`) and short bursts."""
    rng = random.Random(seed)
    bursts = {start: rng.randint(5, 30) for start in range(0, 8 * 3600, 1) if rng.random() < 0.002}
    ends = {start: start + length for start, length in bursts.items()}

    def profile(second: int) -> tuple[Flow, Flow]:
        swing = 1.0 + 0.6 * math.sin(2 * math.pi * second / period_s + seed)
        burst = 3.0 if any(start <= second < end for start, end in ends.items() if start > second - 31) else 1.0
        noise = rng.uniform(0.7, 1.3)
        rate = pps * swing * burst * noise
        return Flow(rate, rng.uniform(400, 1200), 0.002), Flow(rate * 1.5, rng.uniform(600, 1400), 0.01)

    return profile


def steady_port(seed: int, pps: float) -> Profile:
    """Traffic that only jitters (10 %): what a tight threshold can be set on."""
    rng = random.Random(seed)
    return lambda second: (Flow(pps * rng.uniform(0.9, 1.1), 500), Flow(pps * rng.uniform(0.9, 1.1), 500))


def with_event(base: Profile, start: int, end: int, event: Callable[[int, tuple[Flow, Flow]], tuple[Flow, Flow]]) -> Profile:
    def profile(second: int) -> tuple[Flow, Flow]:
        normal = base(second)
        return event(second, normal) if start <= second < end else normal
    return profile


@dataclass
class VirtualSwitch:
    profiles: dict[int, Profile]
    cache_s: int = 0
    speed_bps: int = GIGABIT
    second: int = 0
    booted_at: int = 0
    counters: dict[int, dict[str, int]] = field(default_factory=dict)
    served: dict[int, dict[str, int]] = field(default_factory=dict)
    oper: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.counters = {i: dict.fromkeys(COUNTERS, 10**9) for i in self.profiles}
        self.served = {i: dict(c) for i, c in self.counters.items()}
        self.oper = dict.fromkeys(self.profiles, "up")

    def run_until(self, second: int) -> None:
        while self.second < second:
            for if_index, profile in self.profiles.items():
                inbound, outbound = profile(self.second)
                self._add(self.counters[if_index], "in", inbound)
                self._add(self.counters[if_index], "out", outbound)
            self.second += 1
            if not self.cache_s or self.second % self.cache_s == 0:
                self.served = {i: dict(c) for i, c in self.counters.items()}

    @staticmethod
    def _add(counters: dict[str, int], side: str, flow: Flow) -> None:
        broadcast = round(flow.pps * flow.bcast_share)
        counters[f"{side}_ucast"] += round(flow.pps) - broadcast
        counters[f"{side}_bcast"] += broadcast
        counters[f"{side}_octets"] += round(flow.pps * flow.size)
        counters[f"{side}_errors"] += round(flow.errors_ps)

    def clear_counters(self, if_index: int) -> None:
        self.counters[if_index] = dict.fromkeys(COUNTERS, 0)
        self.served[if_index] = dict(self.counters[if_index])

    def reboot(self) -> None:
        self.booted_at = self.second
        for if_index in self.counters:
            self.clear_counters(if_index)

    def sample(self) -> DeviceSample:
        uptime_cs = (self.second - self.booted_at) * 100
        ports = {i: PortCounters(i, self.oper[i], None, {n: Counter(v, 64) for n, v in c.items()}) for i, c in self.served.items()}
        return DeviceSample.of(DEVICE, float(self.second), uptime_cs, float(self.second), ports)


COUNTERS = ("in_octets", "out_octets", "in_ucast", "out_ucast", "in_mcast", "out_mcast", "in_bcast", "out_bcast",
            "in_errors", "out_errors", "in_discards", "out_discards")

Timeline = list[tuple[int, dict[tuple[str, int], Detection]]]


class Poller:
    """Polls a virtual switch every `poll_s` virtual seconds through rates and the detector, picking up where it stopped."""

    def __init__(self, switch: VirtualSwitch, poll_s: int = 5, detector: Detector | None = None) -> None:
        self.switch, self.poll_s = switch, poll_s
        self.detector = detector or Detector()
        self.interfaces = {i: InterfaceInfo(i, f"Gi1/0/{i}", "", "", 6, switch.speed_bps, "", "up") for i in switch.profiles}
        self.previous: DeviceSample | None = None
        self.polled_at = 0

    def until(self, end_s: int, actions: Mapping[int, Callable[[VirtualSwitch], None]] | None = None) -> Timeline:
        """`actions` run on the switch at their second (counter resets, reboots)."""
        timeline: Timeline = []
        pending = dict(actions or {})
        for second in range(self.polled_at + self.poll_s, end_s + 1, self.poll_s):
            for at in sorted(a for a in pending if a <= second):
                self.switch.run_until(at)
                pending.pop(at)(self.switch)
            self.switch.run_until(second)
            sample = self.switch.sample()
            rates = compute_device_rates(self.previous, sample, self.interfaces)
            timeline.append((second, self.detector.observe([rates], float(second), [sample])))
            self.previous, self.polled_at = sample, second
        return timeline


def run(switch: VirtualSwitch, end_s: int, actions: Mapping[int, Callable[[VirtualSwitch], None]] | None = None,
        detector: Detector | None = None) -> Timeline:
    return Poller(switch, detector=detector).until(end_s, actions)


def flagged(timeline: Timeline) -> list[tuple[int, tuple[str, int], list[FlagKind]]]:
    return [(second, key, [f.kind for f in d.flags]) for second, detections in timeline for key, d in detections.items() if d.flags]
