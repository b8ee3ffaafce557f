"""Baselines in a shared store: a poller that takes a device over continues from what the last
one learned (and from its flagged episodes), instead of starting blind. The rules are the
state file's (engine/state.py): a week-old series is dropped, the newest value of a series wins,
an episode saved within RESUME_WITHIN_S continues."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import Connection, delete, select

from portmap.core.baseline import Baseline, PortIdentity, SeriesKey
from portmap.engine.state import MAX_AGE_S, RENAMED, RESUME_WITHIN_S
from portmap.engine.store import schema
from portmap.engine.store.writer import dialect_insert


def load(connection: Connection, devices: Collection[str], now: float) -> tuple[dict[SeriesKey, Baseline], dict[PortIdentity, float]]:
    """The devices' baselines, and their ports flagged when they were last saved."""
    table, flagged = schema.port_baselines, schema.flagged_since
    rows = connection.execute(select(table).where(table.c.device.in_(list(devices)), table.c.updated_at >= now - MAX_AGE_S))
    series = {(r.device, r.port, r.direction, RENAMED.get(r.metric, r.metric)): Baseline(r.level, r.spread, r.samples, r.updated_at)
              for r in rows}
    since = {(r.device, r.port): r.since for r in connection.execute(
        select(flagged).where(flagged.c.device.in_(list(devices)), flagged.c.saved_at >= now - RESUME_WITHIN_S))}
    return series, since


def save(connection: Connection, series: Iterable[tuple[SeriesKey, Baseline]], devices: Collection[str],
         flagged: Iterable[tuple[PortIdentity, float]], now: float) -> None:
    """The series of `devices` (a newer value in the store is kept), and their flagged ports now."""
    table = schema.port_baselines
    rows = [{"device": key[0], "port": key[1], "direction": key[2], "metric": key[3], "level": b.level, "spread": b.spread,
             "samples": b.samples, "updated_at": b.updated_at} for key, b in series if key[0] in devices]
    if rows:
        insert = dialect_insert(connection, table)
        connection.execute(insert.on_conflict_do_update(
            index_elements=["device", "port", "direction", "metric"],
            set_={name: insert.excluded[name] for name in ("level", "spread", "samples", "updated_at")},
            where=insert.excluded.updated_at >= table.c.updated_at), rows)
    episodes = schema.flagged_since
    connection.execute(delete(episodes).where(episodes.c.device.in_(list(devices))))
    ports = [{"device": device, "port": port, "since": since, "saved_at": now} for (device, port), since in flagged if device in devices]
    if ports:
        connection.execute(episodes.insert(), ports)
