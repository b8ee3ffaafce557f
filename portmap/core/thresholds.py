"""Spike thresholds, and which apply to a port: the global ones, its device's, then its own.

Resolved when a device's interfaces are read (a port's own `spikes:` name it by ifName or
ifDescr), never asked for while judging a poll.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from portmap.core.samples import InterfaceInfo

Overrides = Iterable[tuple[str, float]]
"""The inventory's `spikes:` block: (field name, value) pairs."""


@dataclass(frozen=True, slots=True)
class FlagThresholds:
    min_flood_pps: float = 5000.0
    """Below this a port is never a flood, however quiet its normal is, except small packets far
    above their normal (min_small_flood_pps)."""
    min_small_flood_pps: float = 1000.0
    small_flood_ratio: float = 100.0
    """Small packets (the SYN-flood shape) are a flood from min_small_flood_pps on, at
    small_flood_ratio times the port's normal: 4,000 pps of 54 B on a port whose normal is
    0.3 pps is a flood (a 2 s burst averaged over a 5 s interval), 20 pps on a quiet port is not."""
    outlier_ratio: float = 10.0
    """A flood is at least this many times the port's normal (the typical port's while it has none)."""
    min_score: float = 6.0
    """... and this many mean absolute deviations above its normal."""
    warmup_samples: int = 10
    """Intervals a port needs before its own baseline is trusted."""
    learning_rate: float = 0.05
    """Weight of each new interval in the baseline (a half-life of about 14 intervals)."""
    hold_fraction: float = 0.5
    """A flagged port stays flagged while above this fraction of the raising thresholds."""
    clear_after: int = 3
    """Quiet intervals before a flag clears."""
    flap_changes: int = 3
    flap_window_s: float = 300.0
    """Port flapping: this many oper-status changes within the window."""
    small_packet_bytes: float = 100.0
    """Average packets under this size are the SYN-flood shape."""
    bulk_packet_bytes: float = 500.0
    """Average packets this large are a bulk transfer's (a backup, a replication): a port that
    carries them steadily from its first intervals is "busy since start", not a flood."""
    min_storm_pps: float = 1000.0
    storm_share: float = 0.5
    """Broadcast storm: at least min_storm_pps broadcasts, making up this share of packets."""
    min_errors_ps: float = 50.0
    saturation_pct: float = 90.0
    same_flood_tolerance: float = 1.5
    """Ports whose flood rates are within this factor of the origin's carry the same flood."""


def tuned(limits: FlagThresholds, overrides: Overrides) -> FlagThresholds:
    """`limits` with the inventory's overrides (field name, value) applied; whole-number fields stay whole.
    An override of min_flood_pps sets min_small_flood_pps too, unless it is given: a port the
    operator allows 100,000 pps is not flagged below that."""
    changes: dict[str, object] = {name: int(value) if isinstance(getattr(limits, name), int) else value
                                  for name, value in overrides}
    if "min_flood_pps" in changes:
        changes.setdefault("min_small_flood_pps", changes["min_flood_pps"])
    return replace(limits, **changes) if changes else limits  # type: ignore[arg-type]


def holding(limits: FlagThresholds) -> FlagThresholds:
    """What keeps a flagged port flagged: `hold_fraction` of each raising threshold."""
    fraction = limits.hold_fraction
    return replace(limits, min_flood_pps=limits.min_flood_pps * fraction, outlier_ratio=max(1.0, limits.outlier_ratio * fraction),
                   min_small_flood_pps=limits.min_small_flood_pps * fraction, small_flood_ratio=max(1.0, limits.small_flood_ratio * fraction),
                   min_score=limits.min_score * fraction, min_storm_pps=limits.min_storm_pps * fraction,
                   min_errors_ps=limits.min_errors_ps * fraction, saturation_pct=limits.saturation_pct - 10.0)


@dataclass(frozen=True, slots=True)
class DeviceThresholds:
    """One device's thresholds: its own, and those of its ports that have their own."""

    own: FlagThresholds
    ports: Mapping[int, FlagThresholds]
    """By ifIndex, only the ports whose `spikes:` differ from the device's."""

    def of(self, if_index: int) -> FlagThresholds:
        return self.ports.get(if_index, self.own)


def device_thresholds(base: FlagThresholds, device_spikes: Overrides,
                      port_spikes: Sequence[tuple[str, Overrides]],
                      interfaces: Mapping[int, InterfaceInfo]) -> DeviceThresholds:
    """`base`, then the device's `spikes:`, then those of each port named by its ifName or ifDescr."""
    own = tuned(base, device_spikes)
    ports = {}
    for if_index, info in interfaces.items():
        limits = own
        for port, overrides in port_spikes:
            if port in (info.if_name, info.if_descr):
                limits = tuned(limits, overrides)
        if limits != own:
            ports[if_index] = limits
    return DeviceThresholds(own, ports)
