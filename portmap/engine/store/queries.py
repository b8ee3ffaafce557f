"""Reading the history store: a host's places over time, who was on a port, incidents."""

from __future__ import annotations

import json

from typing import Any

from sqlalchemy import Connection, Row, Table, or_, select

from portmap.core.leases import PollerSeen
from portmap.core.history import Binding, HostHistory, Link, Move, Placement, PortHistory, PortPeriod, StoredIncident
from portmap.core.rollups import FIGURES
from portmap.core.search import normalise_ip, normalise_mac
from portmap.engine.store import schema
from portmap.engine.store.store import Store


def macs_named(connection: Connection, query: str) -> list[str]:
    """The MACs a query names: a MAC in any notation, an IP bound to them, or a DNS name (whole or its first label)."""
    mac = normalise_mac(query)
    if mac is not None:
        return [mac]
    table = schema.ip_bindings
    ip = normalise_ip(query)
    wanted = table.c.ip == ip if ip is not None else or_(table.c.name == query, table.c.name.like(f"{query}.%"))
    return sorted({row.mac for row in connection.execute(select(table.c.mac).where(wanted))})


def host_history(connection: Connection, macs: list[str], since: float, until: float) -> HostHistory:
    placements, moves, bindings = schema.placements, schema.moves, schema.ip_bindings

    def overlapping(table):  # type: ignore[no-untyped-def]
        return (table.c.mac.in_(macs), table.c.last_seen >= since, table.c.first_seen <= until)

    return HostHistory(
        tuple(macs),
        tuple(Placement(r.mac, r.device, r.port, r.vlan, r.reason, r.first_seen, r.last_seen) for r in connection.execute(
            select(placements).where(*overlapping(placements)).order_by(placements.c.first_seen))),
        tuple(Move(r.mac, r.at, r.from_device, r.from_port, r.to_device, r.to_port) for r in connection.execute(
            select(moves).where(moves.c.mac.in_(macs), moves.c.at >= since, moves.c.at <= until).order_by(moves.c.at))),
        tuple(Binding(r.ip, r.mac, r.name, r.first_seen, r.last_seen) for r in connection.execute(
            select(bindings).where(*overlapping(bindings)).order_by(bindings.c.first_seen))),
    )


def on_port(connection: Connection, device: str, port: str, since: float, until: float) -> list[Placement]:
    """Who was placed on a port, and when."""
    table = schema.placements
    rows = connection.execute(select(table).where(
        table.c.device == device, table.c.port == port, table.c.last_seen >= since, table.c.first_seen <= until)
        .order_by(table.c.first_seen))
    return [Placement(r.mac, r.device, r.port, r.vlan, r.reason, r.first_seen, r.last_seen) for r in rows]


def port_history(connection: Connection, device: str, port: str, since: float, until: float) -> PortHistory:
    return PortHistory(device, port, tuple(on_port(connection, device, port, since, until)),
                       tuple(incidents(connection, since, until, device=device, port=port)),
                       tuple(port_rates(connection, device, port, since, until)))


def recent_of_port(location: str, device: str, port: str, since: float) -> PortHistory:
    """The port's history from `since` on, read from the store at `location` (for the TUI's port screen)."""
    with Store(location) as store, store.transaction() as connection:
        return port_history(connection, device, port, since, float("inf"))


def port_rates(connection: Connection, device: str, port: str, since: float, until: float) -> list[PortPeriod]:
    """A port's rates per minute where minutes are kept, per hour before them, oldest first."""

    def periods(table: Table, period_s: float) -> list[PortPeriod]:
        where = (table.c.device == device, table.c.port == port, table.c.period_start >= since, table.c.period_start <= until)
        columns = [table.c.period_start, table.c.polls, *(table.c[f"{figure}_avg"] for figure in FIGURES),
                   *(table.c[f"{figure}_max"] for figure in FIGURES)]
        rows = connection.execute(select(*columns).where(*where).order_by(table.c.period_start))
        averages, highest = slice(2, 2 + len(FIGURES)), slice(2 + len(FIGURES), None)  # a month of minutes: by position, not by name
        return [PortPeriod(row[0], period_s, row[1], dict(zip(FIGURES, row[averages])), dict(zip(FIGURES, row[highest]))) for row in rows]

    minutes = periods(schema.port_minutes, 60.0)
    minutes_from = minutes[0].period_start if minutes else float("inf")
    return [hour for hour in periods(schema.port_hours, 3600.0) if hour.period_start + 3600.0 <= minutes_from] + minutes


SEEN_WITHIN_S = 180.0
"""A link or a placement counts as there at a moment within this long after it was last seen:
the tables are read every minute by default, so its last sighting can be that old."""


def links_at(connection: Connection, at: float) -> list[Link]:
    table = schema.links
    return [Link(r.device_a, r.port_a, r.device_b, r.port_b, r.first_seen, r.last_seen) for r in connection.execute(
        select(table).where(table.c.first_seen <= at, table.c.last_seen >= at - SEEN_WITHIN_S))]


def placed_at(connection: Connection, at: float) -> tuple[list[Placement], dict[str, list[str]]]:
    """Each host's edge port at a moment, and its IPs then."""
    table, bindings = schema.placements, schema.ip_bindings
    latest: dict[str, Placement] = {}  # a host that moved shortly before: its new port, not both
    for r in connection.execute(select(table).where(table.c.first_seen <= at, table.c.last_seen >= at - SEEN_WITHIN_S)
                                .order_by(table.c.first_seen)):
        latest[r.mac] = Placement(r.mac, r.device, r.port, r.vlan, r.reason, r.first_seen, r.last_seen)
    placed = list(latest.values())
    ips: dict[str, list[str]] = {}
    for row in connection.execute(select(bindings).where(bindings.c.first_seen <= at, bindings.c.last_seen >= at - SEEN_WITHIN_S)):
        ips.setdefault(row.mac, []).append(row.ip)
    return placed, ips


def incidents(connection: Connection, since: float, until: float, open_only: bool = False,
              device: str | None = None, port: str | None = None) -> list[StoredIncident]:
    """Incidents that overlap [since, until], newest first; only open ones, or one port's, if asked."""
    table = schema.incidents
    where = [table.c.last_seen >= since, table.c.start <= until, table.c.merged_into.is_(None)]  # merged: in another's path
    where += [table.c.ongoing == 1] if open_only else []
    where += [table.c.device == device, table.c.port == port] if device and port else []
    return [stored_incident(r) for r in connection.execute(select(table).where(*where).order_by(table.c.start.desc()))]


def incident(connection: Connection, number: int) -> StoredIncident | None:
    row = connection.execute(select(schema.incidents).where(schema.incidents.c.id == number)).first()
    return stored_incident(row) if row is not None else None


def stored_incident(r: Row[Any]) -> StoredIncident:
    return StoredIncident(r.id, r.device, r.port, r.start, r.last_seen, bool(r.ongoing), tuple(r.kinds.split(",")),
                          tuple(json.loads(r.hosts)), tuple(json.loads(r.path)), tuple(json.loads(r.occurrences)), r.peak, r.metric)


def pollers(connection: Connection) -> list[PollerSeen]:
    """The pollers that have shared this store, by name."""
    table = schema.pollers
    return [poller_seen(r) for r in connection.execute(select(table).order_by(table.c.name))]


def poller_seen(r: Row[Any]) -> PollerSeen:
    return PollerSeen(r.name, tuple(g for g in r.groups.split(",") if g), r.started_at, r.heartbeat_at, r.lease_s, r.host, r.pid, r.devices)
