"""What one poll of one device yields, as plain frozen data."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

PortKey = tuple[str, int]
"""(device name, ifIndex): a port anywhere in the network."""

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


COUNTER_COLUMN = {name: column for column, name in enumerate(COUNTER_NAMES)}
OPER_CODE = {name: code for code, name in OPER_STATUS.items()}
NO_DISCONTINUITY = -1
"""In DeviceSample.discontinuity: the agent has no ifCounterDiscontinuityTime for the port."""


@dataclass(frozen=True, slots=True, eq=False)
class DeviceSample:
    """One consistent read of a device's counters: a row per port, in compact arrays
    (about 150 bytes a port, where objects per counter cost ten times that)."""

    device: str
    time_s: float
    """Local monotonic time in seconds, the middle of the read."""
    sys_uptime_cs: int
    uptime_read_s: float
    """Local monotonic time when sysUpTime was read, to compare the agent's clock with ours."""
    if_indexes: np.ndarray
    """int64, one per row."""
    oper: np.ndarray
    """int8: ifOperStatus's number (OPER_STATUS), 0 where not known."""
    discontinuity: np.ndarray
    """int64: ifCounterDiscontinuityTime in hundredths, NO_DISCONTINUITY where the agent has none."""
    values: np.ndarray
    """uint64, a column per COUNTER_NAMES."""
    widths: np.ndarray
    """uint8, beside `values`: 32 or 64 bits, 0 where the agent has no such counter."""

    @classmethod
    def of(cls, device: str, time_s: float, sys_uptime_cs: int, uptime_read_s: float,
           ports: Mapping[int, PortCounters]) -> DeviceSample:
        """A sample from its readable form, port by port."""
        rows = list(ports.values())
        values = np.zeros((len(rows), len(COUNTER_NAMES)), np.uint64)
        widths = np.zeros((len(rows), len(COUNTER_NAMES)), np.uint8)
        for row, port in enumerate(rows):
            for name, counter in port.counters.items():
                values[row, COUNTER_COLUMN[name]] = counter.value
                widths[row, COUNTER_COLUMN[name]] = counter.bits
        return cls(
            device, time_s, sys_uptime_cs, uptime_read_s,
            np.array([port.if_index for port in rows], np.int64),
            np.array([OPER_CODE.get(port.oper_status, 0) for port in rows], np.int8),
            np.array([NO_DISCONTINUITY if port.discontinuity_cs is None else port.discontinuity_cs for port in rows], np.int64),
            values, widths,
        )

    @property
    def ports(self) -> dict[int, PortCounters]:
        """The readable form, port by port, built when asked."""
        return {
            int(if_index): PortCounters(
                int(if_index), OPER_STATUS.get(int(oper), "unknown"), None if discontinuity == NO_DISCONTINUITY else int(discontinuity),
                {name: Counter(int(value), int(width)) for name, value, width in zip(COUNTER_NAMES, values, widths) if width},
            )
            for if_index, oper, discontinuity, values, widths in zip(
                self.if_indexes, self.oper, self.discontinuity, self.values, self.widths)
        }


class OperStatus(Mapping[PortKey, str]):
    """Every port's ifOperStatus in its device's last sample, read by (device, ifIndex) from the
    samples' arrays: a poll of 50,000 ports makes no key or entry per port for it."""

    def __init__(self, samples: Iterable[DeviceSample]) -> None:
        self._samples = {sample.device: sample for sample in samples}

    def __getitem__(self, key: PortKey) -> str:
        sample = self._samples.get(key[0])
        if sample is not None:
            for row in np.flatnonzero(sample.if_indexes == key[1])[:1].tolist():
                return OPER_STATUS.get(int(sample.oper[row]), "unknown")
        raise KeyError(key)

    def __iter__(self) -> Iterator[PortKey]:
        for device, sample in self._samples.items():
            for if_index in sample.if_indexes.tolist():
                yield device, if_index

    def __len__(self) -> int:
        return sum(len(sample.if_indexes) for sample in self._samples.values())


class InterfacesByPort(Mapping[PortKey, InterfaceInfo]):
    """Every device's interfaces read by (device, ifIndex), from the devices' own maps."""

    def __init__(self, by_device: Mapping[str, Mapping[int, InterfaceInfo]]) -> None:
        self._by_device = by_device

    def __getitem__(self, key: PortKey) -> InterfaceInfo:
        return self._by_device[key[0]][key[1]]

    def __iter__(self) -> Iterator[PortKey]:
        for device, interfaces in self._by_device.items():
            for if_index in interfaces:
                yield device, if_index

    def __len__(self) -> int:
        return sum(len(interfaces) for interfaces in self._by_device.values())


@dataclass(frozen=True, slots=True)
class SystemInfo:
    sys_name: str
    sys_descr: str
    sys_uptime_cs: int
    if_number: int | None


@dataclass(frozen=True, slots=True)
class DeviceCheck:
    """What `inventory check` found of one device: who it says it is, and how walking it went."""

    system: SystemInfo
    walks: str = ""
    """How walks had to be asked, where not as the inventory says; or why they failed."""
