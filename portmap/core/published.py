"""What a poller sharing a store publishes of each poll, and how a face on any machine merges
every poller's into one Frame (`top`, `live` and `ui` with `--store postgresql://...`).

A poller publishes its flagged ports and the busiest others by every sort key, with what the
faces show of them (names, status, hosts, neighbours), its devices' answers and its incidents:
a few dozen ports, not its thousands. The merge ranks the union as one machine ranks a poll
(rank_rates), so a flood entering on one poller's edge port and crossing another's uplinks is
one incident again, entry first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import networkx as nx

from portmap.core.incidents import Incident
from portmap.core.leases import PollerSeen
from portmap.core.neighbourhood import Neighbourhood
from portmap.core.placement import HostLocation
from portmap.core.ranking import rank_rates
from portmap.core.rates import SORT_COLUMNS, by_device
from portmap.core.flags import RankedPort
from portmap.core.samples import InterfaceInfo, PortKey
from portmap.core.snapshot import DeviceStatus, Frame, Snapshot
from portmap.core.tables import Neighbor
from portmap.core.thresholds import FlagThresholds
from portmap.core.topology import FloodPath
from portmap.core.zoom import Suspicion

PUBLISHED_PER_SORT = 40
"""The busiest ports by each sort key a poller publishes besides its flagged ones: more than a
text `top` shows (TEXT_ROWS), the first screens of the TUI."""


@dataclass(frozen=True, slots=True)
class PublishedPort:
    """One port as the faces show it: its rates and flags, and who is behind it."""

    ranked: RankedPort
    interface: InterfaceInfo | None
    oper_status: str | None
    hosts: tuple[HostLocation, ...] = ()
    neighbor: Neighbor | None = None
    uplink: str | None = None
    """Why it is an uplink (None: an edge port)."""
    facing: str | None = None
    """The inventoried device LLDP/CDP shows behind it."""


@dataclass(frozen=True, slots=True)
class PublishedFrame:
    """One poller's poll, as it publishes it to the store."""

    taken_at: float
    poll_s: float
    ports: tuple[PublishedPort, ...]
    devices: tuple[DeviceStatus, ...]
    incidents: tuple[Incident, ...] = ()
    incident_ports: tuple[tuple[str, InterfaceInfo], ...] = ()
    """The interfaces of incidents' entry ports that no published port has (to name them)."""
    names: dict[str, str] = field(default_factory=dict)
    """Host IP -> reverse DNS name, for the published hosts."""
    zoomed: dict[str, dict[int, Suspicion]] = field(default_factory=dict)


def publish(frame: Frame, per_sort: int = PUBLISHED_PER_SORT) -> PublishedFrame:
    """The flagged ports and the `per_sort` busiest by each sort key of one poll, with what the faces show of them."""
    snapshot, neighbourhood = frame.snapshot, frame.neighbourhood
    chosen: dict[PortKey, RankedPort] = {ranked.key: ranked for ranked in snapshot.ports.flagged}
    for sort in SORT_COLUMNS:
        for ranked in snapshot.ports.by(sort)[:len(snapshot.ports.flagged) + per_sort]:
            chosen.setdefault(ranked.key, ranked)
    ports = tuple(_published_port(snapshot, neighbourhood, ranked) for ranked in chosen.values())
    hosts = [host for port in ports for host in port.hosts]
    names = {ip: neighbourhood.names[ip] for host in hosts for ip in host.ips if ip in neighbourhood.names} if neighbourhood else {}
    incident_ports = tuple((key[0], info) for incident in snapshot.incidents if (key := incident.port) not in chosen
                           and (info := snapshot.interfaces.get(key)) is not None)
    return PublishedFrame(snapshot.taken_at, snapshot.poll_s, ports, snapshot.devices, snapshot.incidents, incident_ports,
                          names, {device: dict(watched) for device, watched in snapshot.zoomed.items()})


def _published_port(snapshot: Snapshot, neighbourhood: Neighbourhood | None, ranked: RankedPort) -> PublishedPort:
    key = ranked.key
    interface, status = snapshot.interfaces.get(key), snapshot.oper_status.get(key)
    if neighbourhood is None:
        return PublishedPort(ranked, interface, status)
    return PublishedPort(ranked, interface, status, tuple(neighbourhood.hosts_on(key)), neighbourhood.neighbors.get(key),
                         neighbourhood.uplinks.get(key), neighbourhood.facing.get(key))


@dataclass(frozen=True, slots=True)
class NetworkView:
    """What the store holds besides the pollers' frames, for the merge."""

    pollers: tuple[PollerSeen, ...]
    """Every poller that shared the store, with its state at `now`."""
    now: float
    graph: nx.Graph = field(default_factory=nx.Graph)
    """The devices and their links as the store keeps them (core/topology.topology_at)."""
    ips: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """MAC -> its IPs, from every poller's ARP: a host placed by one poller, addressed by another's router."""
    names: Mapping[str, str] = field(default_factory=dict)
    """IP -> the reverse DNS name a poller found."""


def merged_frame(frames: Mapping[str, PublishedFrame], view: NetworkView, inventoried: Iterable[str], sort: str = "pps",
                 limits: FlagThresholds = FlagThresholds(), number: int = 1) -> Frame:
    """One Frame from the frames of the pollers polling now (`frames`, by poller): their ports
    ranked together, every inventoried device's answer (a device whose poller is silent, or
    that is in no poller's poll, did not answer, and says why)."""
    # oldest first: where a device was just handed over, the taker's newer poll of it is the one kept
    live = {name: frame for name, frame in sorted(frames.items(), key=lambda item: item[1].taken_at) if _state(view, name) == "polling"}
    ports = {port.ranked.key: port for frame in live.values() for port in frame.ports}
    hosts = {host.mac: _addressed(host, view.ips) for port in ports.values() for host in port.hosts}
    names = {**view.names, **{ip: name for frame in live.values() for ip, name in frame.names.items()}}
    uplinks = {key: port.uplink for key, port in ports.items() if port.uplink is not None}
    facing = {key: port.facing for key, port in ports.items() if port.facing is not None}
    flags = {key: port.ranked.flags for key, port in ports.items() if port.ranked.flags}
    since = {key: port.ranked.since for key, port in ports.items() if port.ranked.since is not None}
    ranked = rank_rates(by_device([port.ranked.rates for port in ports.values()]), flags, sort, limits, uplinks,
                        since, FloodPath(view.graph, facing))
    carriers = {port.key for port in ranked.flagged if port.same_incident_as is not None}
    incidents = sorted((i for frame in live.values() for i in frame.incidents if i.port not in carriers),
                       key=lambda incident: (not incident.ongoing, -incident.last_seen))
    interfaces = {(device, info.if_index): info for frame in live.values() for device, info in frame.incident_ports}
    interfaces.update({key: port.interface for key, port in ports.items() if port.interface is not None})
    snapshot = Snapshot(
        max((frame.taken_at for frame in live.values()), default=view.now),
        max((frame.poll_s for frame in live.values()), default=0.0),
        ranked, interfaces,
        {key: port.oper_status for key, port in ports.items() if port.oper_status is not None},
        _devices(frames, live, view, inventoried),
        incidents=tuple(incidents),
        zoomed={device: watched for frame in live.values() for device, watched in frame.zoomed.items()},
    )
    neighbourhood = Neighbourhood(uplinks, hosts, {key: port.neighbor for key, port in ports.items() if port.neighbor},
                                  view.graph, interfaces, names, facing=facing)
    return Frame(snapshot, neighbourhood, (), number, tuple(p.health(view.now) for p in view.pollers))


def _state(view: NetworkView, poller: str) -> str:
    return next((p.state(view.now) for p in view.pollers if p.name == poller), "stopped")


def _addressed(host: HostLocation, ips: Mapping[str, tuple[str, ...]]) -> HostLocation:
    """The host with the IPs any poller's ARP gives it, where its own poller's gave none."""
    if host.ips or host.mac not in ips:
        return host
    return HostLocation(host.mac, ips[host.mac], host.port, host.vlan, host.sightings, host.reason)


def _devices(frames: Mapping[str, PublishedFrame], live: Mapping[str, PublishedFrame], view: NetworkView,
             inventoried: Iterable[str]) -> tuple[DeviceStatus, ...]:
    """The live pollers' answers; a silent poller's devices that no live one polls did not answer
    (it cannot tell); an inventoried device in no poller's last poll (none holds it, or its
    poller has not published yet) did not answer either."""
    statuses = {d.name: d for frame in live.values() for d in frame.devices}
    for poller, frame in frames.items():
        if poller not in live:
            state = _state(view, poller)
            for device in frame.devices:
                statuses.setdefault(device.name, DeviceStatus(device.name, False, 0.0, f"{device.name}: its poller {poller} is {state}",
                                                              "poller"))
    for name in inventoried:
        statuses.setdefault(name, DeviceStatus(name, False, 0.0, f"{name}: in no poller's last poll (portmap pollers: who polls what)",
                                               "poller"))
    return tuple(statuses[name] for name in sorted(statuses))
