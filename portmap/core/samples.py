"""What one poll of one device yields, as plain frozen data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

OPER_STATUS = {1: "up", 2: "down", 3: "testing", 4: "unknown", 5: "dormant", 6: "notPresent", 7: "lowerLayerDown"}

COUNTER_NAMES = (
    "in_octets", "out_octets",
    "in_ucast", "out_ucast",
    "in_mcast", "out_mcast",
    "in_bcast", "out_bcast",
    "in_nucast", "out_nucast",
    "in_errors", "out_errors",
    "in_discards", "out_discards",
)
"""`*_nucast` (ifTable's non-unicast) stands in only where multicast/broadcast are missing."""


@dataclass(frozen=True, slots=True)
class Counter:
    value: int
    bits: int
    """32 or 64: the width decides whether a decrease can be a wrap."""


@dataclass(frozen=True, slots=True)
class InterfaceInfo:
    """The slow-changing description of one interface."""

    if_index: int
    if_name: str
    if_descr: str
    alias: str
    if_type: int
    speed_bps: int
    """0 where the agent does not know."""
    mac: str
    admin_status: str


@dataclass(frozen=True, slots=True)
class PortCounters:
    if_index: int
    oper_status: str
    discontinuity_cs: int | None
    """ifCounterDiscontinuityTime in hundredths, where the agent serves it."""
    counters: Mapping[str, Counter]


@dataclass(frozen=True, slots=True)
class DeviceSample:
    """One consistent read of a device's counters."""

    device: str
    time_s: float
    """Local monotonic time in seconds, the middle of the read."""
    sys_uptime_cs: int
    uptime_read_s: float
    """Local monotonic time when sysUpTime was read, to compare the agent's clock with ours."""
    ports: Mapping[int, PortCounters]


@dataclass(frozen=True, slots=True)
class SystemInfo:
    sys_name: str
    sys_descr: str
    sys_uptime_cs: int
    if_number: int | None
