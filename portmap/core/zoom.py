"""Zooming in: which ports are read every second between polls, and the busiest second each showed.

A burst of a second or two is diluted by a 5 s interval: 10k pps for 2 s reads as 4k. A port
that jumped far above its own normal without being flagged, or whose flood just ended, is
likely to burst again; reading its counters every second (GETs of a few instances, bounded in
ports, devices and time) measures the next burst at its real rate, and the detector judges
that second as it judges an interval (core/detector.py: Detector.observe's `peaks`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from portmap.core.metrics import PPS
from portmap.core.rates import DeviceRates
from portmap.core.samples import PortKey

ZOOM_FOR_S = 120.0
"""A suspicion keeps its port read every second this long after it was last raised."""
PORTS_PER_DEVICE = 4
"""Ports of one device read at once: a GET of a few instances, never a walk."""
DEVICES_AT_ONCE = 16
"""Devices zoomed in at once: the most recent suspicions first."""


@dataclass(frozen=True, slots=True)
class Suspicion:
    reason: str
    """In words: 'jumped 40x its normal', 'its flood ended'."""
    at: float
    """When it was last raised (epoch seconds)."""


@dataclass(frozen=True, slots=True)
class Peak:
    """A port's busiest second since the last poll: its rates (directions x METRICS) over `span_s`."""

    per_second: np.ndarray
    span_s: float


class ZoomPlan:
    def __init__(self) -> None:
        self._suspected: dict[PortKey, Suspicion] = {}
        self._peaks: dict[PortKey, Peak] = {}

    def suspect(self, suspicions: Mapping[PortKey, Suspicion]) -> None:
        self._suspected.update(suspicions)

    def watched(self, now: float) -> dict[str, dict[int, Suspicion]]:
        """Device -> its ports to read every second, with why; bounded, the oldest suspicions dropped."""
        self._suspected = {key: s for key, s in self._suspected.items() if now - s.at <= ZOOM_FOR_S}
        by_device: dict[str, dict[int, Suspicion]] = {}
        for (device, if_index), suspicion in sorted(self._suspected.items(), key=lambda item: -item[1].at):
            ports = by_device.get(device)
            if ports is None:
                if len(by_device) == DEVICES_AT_ONCE:
                    continue
                ports = by_device[device] = {}
            if len(ports) < PORTS_PER_DEVICE:
                ports[if_index] = suspicion
        return by_device

    def measured(self, rates: DeviceRates) -> None:
        """One zoomed read's rates (a second or so): each port keeps its busiest so far."""
        for row, if_index in enumerate(rates.if_indexes.tolist()):
            if not rates.ok[row]:
                continue
            values = rates.per_second[row]
            key = (rates.device, int(if_index))
            known = self._peaks.get(key)
            if known is None or _busiest(values) > _busiest(known.per_second):
                self._peaks[key] = Peak(values.copy(), rates.interval_s)

    def take_peaks(self) -> dict[PortKey, Peak]:
        """The busiest second of each zoomed port since the last poll took them."""
        peaks, self._peaks = self._peaks, {}
        return peaks


def _busiest(per_second: np.ndarray) -> float:
    return float(np.nan_to_num(per_second[:, PPS]).max())
