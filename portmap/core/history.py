"""What the history store gives back: where a MAC was, who was on a port, moves, IPs, incidents."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from portmap.core.samples import InterfaceInfo, PortKey


@dataclass(frozen=True, slots=True)
class Placement:
    """A stretch of time a host was placed on one edge port."""

    mac: str
    device: str
    port: str
    vlan: int
    reason: str
    first_seen: float
    last_seen: float


@dataclass(frozen=True, slots=True)
class Move:
    mac: str
    at: float
    from_device: str
    from_port: str
    to_device: str
    to_port: str


@dataclass(frozen=True, slots=True)
class Binding:
    ip: str
    mac: str
    name: str | None
    first_seen: float
    last_seen: float


@dataclass(frozen=True, slots=True)
class Link:
    device_a: str
    port_a: str
    device_b: str
    port_b: str
    first_seen: float
    last_seen: float


@dataclass(frozen=True, slots=True)
class StoredIncident:
    id: int
    device: str
    port: str
    start: float
    last_seen: float
    ongoing: bool
    """Open when it was last written (a run that stopped leaves it so: see last_seen)."""
    kinds: tuple[str, ...]
    hosts: tuple[dict[str, object], ...]
    path: tuple[str, ...]
    occurrences: tuple[dict[str, object], ...]
    peak: float
    metric: str


@dataclass(frozen=True, slots=True)
class PortPeriod:
    """A port's rates over one period (a minute or an hour): polls, and each figure's average and
    highest (core/rollups.FIGURES' names as keys; None where not measured)."""

    period_start: float
    period_s: float
    polls: int
    averages: dict[str, float | None]
    highest: dict[str, float | None]


@dataclass(frozen=True, slots=True)
class HostHistory:
    """Everything the store knows of the MACs a query names."""

    macs: tuple[str, ...]
    placements: tuple[Placement, ...]
    moves: tuple[Move, ...]
    bindings: tuple[Binding, ...]


@dataclass(frozen=True, slots=True)
class PortHistory:
    """Everything the store knows of one port over a time: who was on it, its incidents, its rates."""

    device: str
    port: str
    placed: tuple[Placement, ...]
    incidents: tuple[StoredIncident, ...]
    rates: tuple[PortPeriod, ...]

    def __bool__(self) -> bool:
        return bool(self.placed or self.incidents or self.rates)


def stored_name(interfaces: Mapping[PortKey, InterfaceInfo], port: PortKey) -> str:
    """A port as the store keeps it: its name (ifName, else ifDescr), which outlives a renumbering."""
    info = interfaces.get(port)
    return (info.if_name or info.if_descr) if info else unnamed_port(port)


def unnamed_port(port: PortKey) -> str:
    """A port the device's interface list does not have, as the store keeps it. net-snmp's list
    lags its bridge table by seconds: a cable just plugged in can carry hosts before it has a name."""
    return f"ifIndex {port[1]}"
