"""What every face reads: one poll's Snapshot, how each device answered, and a Frame (a
snapshot with the neighbourhood last read). Plain data, no I/O: a face can draw a label
without loading SNMP."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from portmap.core.incidents import Incident
from portmap.core.leases import PollerHealth
from portmap.core.neighbourhood import Neighbourhood
from portmap.core.ranking import RankedPorts
from portmap.core.samples import DeviceSample, InterfaceInfo, PortKey
from portmap.core.zoom import Suspicion

__all__ = ["DeviceStatus", "Frame", "PortKey", "Snapshot"]


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    name: str
    answered: bool
    response_s: float
    error: str = ""
    error_kind: str = ""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything a face shows for one poll; immutable."""

    taken_at: float
    """Wall-clock time (epoch seconds) when the poll finished."""
    poll_s: float
    ports: RankedPorts
    """In rank order (core/ranking.py): quiet ports' records are built when read."""
    interfaces: Mapping[PortKey, InterfaceInfo]
    oper_status: Mapping[PortKey, str]
    devices: tuple[DeviceStatus, ...]
    glitches_dropped: int = 0
    incidents: tuple[Incident, ...] = ()
    samples: tuple[DeviceSample, ...] = ()
    """The raw counters of the devices that answered this poll (the /metrics endpoint exports them)."""
    zoomed: Mapping[str, Mapping[int, Suspicion]] = field(default_factory=dict)
    """Devices whose suspicious ports are read every second between polls, and why (core/zoom.py)."""
    """This run's incidents, ongoing first, then those that ended within the last hour, newest first."""

    @property
    def failed(self) -> tuple[DeviceStatus, ...]:
        return tuple(d for d in self.devices if not d.answered)


@dataclass(frozen=True, slots=True)
class Frame:
    """One poll's snapshot with the neighbourhood last read, as the live faces get it."""

    snapshot: Snapshot
    neighbourhood: Neighbourhood | None
    earlier_failures: tuple[DeviceStatus, ...]
    """Devices that failed the first poll: on the second frame they are still worth naming."""
    number: int
    pollers: tuple[PollerHealth, ...] = ()
    """Where the frame merges the pollers sharing a store (core/published.py): each one's health."""
