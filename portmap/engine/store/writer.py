"""What a run saw, written to the history store: every MAC sighting, each host's edge port
(a change of port is a move), IP bindings, links, and incidents while they are open.

Rows are upserted: a sighting seen again moves its last_seen. Incidents are keyed by their
entry port and start; one that a restart finds open (its port flagged again within
RECUR_WITHIN_S of its last poll) continues, its start and earlier occurrences kept.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite

from portmap.core.history import stored_name, unnamed_port
from portmap.core.incidents import RECUR_WITHIN_S, Incident, Occurrence
from portmap.core.neighbourhood import Neighbourhood
from portmap.core.rollups import FIGURES, Retention, Rollup, RolledUp
from portmap.core.snapshot import PortKey, Snapshot
from portmap.engine.store import schema
from portmap.engine.store.doorbell import ring
from portmap.engine.store.store import Store

Row = dict[str, Any]


HOUR_S = 3600.0


class HistoryWriter:
    def __init__(self, store: Store, retention: Retention = Retention()) -> None:
        self.store = store
        self.retention = retention
        self._minutes = Rollup(60.0)
        self._hour: float | None = None
        """The hour of the minutes written last: when a minute of a later hour comes, that hour is rolled up."""
        self._placed: dict[str, tuple[int, str, str]] = {}
        """Each MAC's latest placement: (row id, device, port)."""
        self._incident_rows: dict[tuple[str, str, float], int] = {}
        """This run's incidents (device, port, start) -> their row."""
        with store.transaction() as connection:
            latest = select(func.max(schema.placements.c.id)).group_by(schema.placements.c.mac)
            for row in connection.execute(select(schema.placements).where(schema.placements.c.id.in_(latest))):
                self._placed[row.mac] = (row.id, row.device, row.port)
            last_minute = connection.execute(select(func.max(schema.port_minutes.c.period_start))).scalar()
            self._hour = None if last_minute is None else last_minute // HOUR_S * HOUR_S

    def record_neighbourhood(self, neighbourhood: Neighbourhood, at: float) -> None:
        """One reading of every device's tables: sightings, placements (and moves), IPs, links."""
        def port_name(device: str, if_index: int | None) -> str:
            return stored_name(neighbourhood.interfaces, (device, if_index)) if if_index is not None else "(no interface)"

        hosts = list(neighbourhood.hosts.values())
        sightings = [{"mac": h.mac, "vlan": s.vlan or 0, "device": s.device, "port": port_name(s.device, s.if_index),
                      "if_index": s.if_index, "uplink": s.uplink, "first_seen": at, "last_seen": at}
                     for h in hosts for s in h.sightings]
        bindings = [{"ip": ip, "mac": h.mac, "name": neighbourhood.name_of(h), "first_seen": at, "last_seen": at}
                    for h in hosts for ip in h.ips]
        links = []
        for a, b, ports in neighbourhood.graph.edges(data="ports"):
            if ports and a in ports and b in ports:
                (device_a, port_a), (device_b, port_b) = sorted(((a, ports[a]), (b, ports[b])))
                links.append({"device_a": device_a, "port_a": port_a, "device_b": device_b, "port_b": port_b,
                              "first_seen": at, "last_seen": at})
        with self.store.transaction() as connection:
            upsert(connection, schema.mac_sightings, sightings, ("if_index", "uplink", "last_seen"))
            upsert(connection, schema.ip_bindings, bindings, ("name", "last_seen"))
            upsert(connection, schema.links, links, ("last_seen",))
            self._place(connection, [(h.mac, port_name(*h.port), h.port, h.vlan or 0, h.reason) for h in hosts if h.port], at)

    def _place(self, connection: Connection, placed: Sequence[tuple[str, str, PortKey, int, str]], at: float) -> None:
        """Each host's edge port: the same as last time moves its last_seen (and names it, where it
        was kept by its number until the interface list had it); another one starts a new stretch,
        and a move where there was one before. Written in batches (one statement each)."""
        still: list[Row] = []
        named: list[Row] = []
        new: list[Row] = []
        moved: list[Row] = []
        for mac, port, key, vlan, reason in placed:
            device, latest = key[0], self._placed.get(mac)
            if latest is not None and latest[1] == device and latest[2] in (port, unnamed_port(key)):
                still.append({"row_id": latest[0], "seen": at, "port": port})
                if latest[2] != port:
                    named.append({"moved": mac, "device": device, "unnamed": latest[2], "port": port})
                    self._placed[mac] = (latest[0], device, port)
                continue
            new.append({"mac": mac, "device": device, "port": port, "vlan": vlan, "reason": reason, "first_seen": at, "last_seen": at})
            if latest is not None:
                moved.append({"mac": mac, "at": at, "from_device": latest[1], "from_port": latest[2], "to_device": device, "to_port": port})
        table = schema.placements
        if new:
            ids = connection.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True), new).scalars().all()
            self._placed.update((row["mac"], (row_id, row["device"], row["port"])) for row, row_id in zip(new, ids))
        if moved:
            connection.execute(schema.moves.insert(), moved)
        if still:
            connection.execute(update(table).where(table.c.id == bindparam("row_id"))
                               .values(last_seen=bindparam("seen"), port=bindparam("port")), still)
        if named:  # the move to a port kept by its number names it too
            moves = schema.moves
            connection.execute(update(moves).where(moves.c.mac == bindparam("moved"), moves.c.to_device == bindparam("device"),
                                                   moves.c.to_port == bindparam("unnamed")).values(to_port=bindparam("port")), named)

    def record_rates(self, snapshot: Snapshot) -> None:
        """The poll's rates into the minute in progress; a finished minute is written, and a
        finished hour rolled up from its minutes, with the rows past their retention pruned."""
        self._write_minutes(self._minutes.add(snapshot.ports.device_rates, snapshot.taken_at), snapshot)

    def flush_rates(self, snapshot: Snapshot | None) -> None:
        """The minute in progress as it stands (a clean stop)."""
        if snapshot is not None:
            self._write_minutes(self._minutes.flush(), snapshot)

    def _write_minutes(self, rows: Sequence[RolledUp], snapshot: Snapshot) -> None:
        if not rows:
            return
        records = [{"device": r.device, "port": stored_name(snapshot.interfaces, (r.device, r.if_index)), "period_start": r.period_start, "if_index": r.if_index, "polls": r.polls,
                    **{f"{figure}_avg": _number(avg) for figure, avg in zip(FIGURES, r.averages)},
                    **{f"{figure}_max": _number(high) for figure, high in zip(FIGURES, r.highest)}} for r in rows]
        hour = max(r.period_start for r in rows) // HOUR_S * HOUR_S
        with self.store.transaction() as connection:
            _merge_rates(connection, schema.port_minutes, records)
            if self._hour is not None and hour > self._hour:  # the hour of the minutes before is over
                _roll_hour(connection, self._hour)
                _prune(connection, schema.port_minutes, snapshot.taken_at - self.retention.minutes_s)
                _prune(connection, schema.port_hours, snapshot.taken_at - self.retention.hours_s)
            self._hour = hour

    def record_incidents(self, snapshot: Snapshot, neighbourhood: Neighbourhood | None) -> None:
        """The run's incidents as this poll sees them, each written again while it is listed."""
        if not snapshot.incidents:
            return
        with self.store.transaction() as connection:
            for incident in snapshot.incidents:
                self._write_incident(connection, incident, snapshot, neighbourhood)
            ring(connection)

    def _write_incident(self, connection: Connection, incident: Incident, snapshot: Snapshot, neighbourhood: Neighbourhood | None) -> None:
        table = schema.incidents
        port = stored_name(snapshot.interfaces, incident.port)
        key = (incident.port[0], port, incident.start)
        occurrences = [_occurrence(o) for o in incident.occurrences]
        row_id = self._incident_rows.get(key)
        earlier: list[Row] = []
        if row_id is None:
            continued = connection.execute(select(table).where(
                table.c.device == key[0], table.c.port == port, table.c.start <= incident.start,
                table.c.last_seen >= incident.start - RECUR_WITHIN_S).order_by(table.c.last_seen.desc()).limit(1)).first()
            if continued is not None:
                row_id = continued.id
                earlier = [o for o in json.loads(continued.occurrences) if o["start"] < incident.start]
        peak = max(incident.occurrences, key=lambda o: o.peak)
        path = _path(snapshot, incident.port)
        values = {"if_index": incident.port[1], "last_seen": incident.last_seen, "ongoing": int(incident.ongoing),
                  "kinds": ",".join(str(kind) for kind in incident.kinds), "hosts": json.dumps(_hosts(neighbourhood, incident.port)),
                  "path": json.dumps(path), "occurrences": json.dumps(earlier + occurrences),
                  "peak": peak.peak, "metric": peak.metric}
        if row_id is None:
            row_id = connection.execute(table.insert().values(device=key[0], port=port, start=incident.start, **values)
                                        .returning(table.c.id)).scalar_one()
        else:
            stored = connection.execute(select(table.c.peak, table.c.occurrences, table.c.path, table.c.hosts)
                                        .where(table.c.id == row_id)).one()
            if not earlier:
                earlier = [o for o in json.loads(stored.occurrences) if o["start"] < incident.start]
                values["occurrences"] = json.dumps(earlier + occurrences)
            if stored.peak > peak.peak:
                values.pop("peak"), values.pop("metric")
            if len(path) < len(json.loads(stored.path)):  # a flood ending clears its carriers one by one:
                values.pop("path")  # the longest path it was seen crossing is kept (or a shared store's correlator's)
            if _ips_known(stored.hosts) > _ips_known(str(values["hosts"])):  # named by the correlator from another poller's ARP
                values.pop("hosts")
            connection.execute(update(table).where(table.c.id == row_id).values(**values))
        self._incident_rows[key] = row_id


def _ips_known(hosts: str) -> int:
    return sum(bool(host["ips"]) for host in json.loads(hosts))


def _occurrence(occurrence: Occurrence) -> Row:
    return {"start": occurrence.start, "end": occurrence.end, "polls": occurrence.polls, "peak": occurrence.peak,
            "metric": occurrence.metric, "peak_avg_pkt_bytes": occurrence.peak_pkt_bytes}


def _hosts(neighbourhood: Neighbourhood | None, port: PortKey) -> list[Row]:
    hosts = neighbourhood.hosts_on(port) if neighbourhood else []
    return [{"mac": h.mac, "ips": list(h.ips), "name": neighbourhood.name_of(h) if neighbourhood else None} for h in hosts]


def _path(snapshot: Snapshot, entry: PortKey) -> list[str]:
    """The ports the incident's flood crosses now, in order along its way."""
    return [f"{p.key[0]} {stored_name(snapshot.interfaces, p.key)}" for p in snapshot.ports.flagged if p.same_incident_as == entry]


def dialect_insert(connection: Connection, table: Table) -> Any:
    """An INSERT with ON CONFLICT, in the connection's dialect (SQLite's and PostgreSQL's share its form)."""
    return (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(table)


def upsert(connection: Connection, table: Table, rows: Iterable[Row], refreshed: Sequence[str]) -> None:
    """Insert the rows; a row whose primary key is there already gets the `refreshed` columns
    (rows repeating a key within the batch: the last one)."""
    keys = [c.name for c in table.primary_key.columns]
    rows = list({tuple(row[key] for key in keys): row for row in rows}.values())
    if not rows:
        return
    insert = dialect_insert(connection, table)
    statement = insert.on_conflict_do_update(index_elements=keys, set_={c: getattr(insert.excluded, c) for c in refreshed})
    connection.execute(statement, rows)


def _number(value: float) -> float | None:
    return None if math.isnan(value) else value


def _merge_rates(connection: Connection, table: Table, rows: list[Row]) -> None:
    """Insert per-period rows; a period written already (a restart within it) is merged: polls
    added, averages weighted by polls, the highest kept."""
    insert = dialect_insert(connection, table)
    mine, theirs = table.c, insert.excluded
    polls = mine.polls + theirs.polls
    merged: dict[str, Any] = {"polls": polls, "if_index": theirs.if_index}
    for figure in FIGURES:
        avg, high = f"{figure}_avg", f"{figure}_max"
        merged[avg] = (func.coalesce(mine[avg], 0) * mine.polls + func.coalesce(theirs[avg], 0) * theirs.polls) / polls
        merged[high] = func.max(func.coalesce(mine[high], theirs[high]), func.coalesce(theirs[high], mine[high])) \
            if connection.dialect.name == "sqlite" else func.greatest(mine[high], theirs[high])
    connection.execute(insert.on_conflict_do_update(index_elements=["device", "port", "period_start"], set_=merged), rows)


def _roll_hour(connection: Connection, hour: float) -> None:
    """One hour's minutes into its hour row per port (written again if a restart rolled it before)."""
    minutes, hours = schema.port_minutes, schema.port_hours
    in_hour = (minutes.c.period_start >= hour, minutes.c.period_start < hour + HOUR_S)
    polls = func.sum(minutes.c.polls)
    columns = [minutes.c.device, minutes.c.port, literal(hour).label("period_start"), func.max(minutes.c.if_index), polls]
    for figure in FIGURES:
        columns += [func.sum(minutes.c[f"{figure}_avg"] * minutes.c.polls) / polls, func.max(minutes.c[f"{figure}_max"])]
    connection.execute(delete(hours).where(hours.c.period_start == hour))
    connection.execute(hours.insert().from_select([c.name for c in hours.columns],
                                                  select(*columns).where(*in_hour).group_by(minutes.c.device, minutes.c.port)))


PRUNE_AT_ONCE_S = HOUR_S
"""Rows past their retention are deleted an hour of periods at a time: bounded work per write."""


def _prune(connection: Connection, table: Table, before: float) -> None:
    oldest = connection.execute(select(func.min(table.c.period_start))).scalar()
    if oldest is not None and oldest < before:
        connection.execute(delete(table).where(table.c.period_start < min(before, oldest + PRUNE_AT_ONCE_S)))
