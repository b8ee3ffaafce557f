"""Device leases and poller heartbeats in a shared store (the decisions are core/leases.py's).

Every time is the database's clock, so that pollers on machines whose clocks differ agree on
when a lease expires. A lease is taken with one conditional upsert (taken only where it is
free or expired: two pollers racing for it cannot both win), renewed only by its holder, and
given up by deleting it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete, select, text, update

from portmap.core.leases import LeasePlan, LeaseSeen, PollerSeen, plan_leases
from portmap.engine.store import schema
from portmap.engine.store.place import Poller
from portmap.engine.store.queries import poller_seen
from portmap.engine.store.store import StoreError
from portmap.engine.store.writer import dialect_insert, upsert


@dataclass(frozen=True, slots=True)
class LeaseRound:
    """What one lease round found and did."""

    now: float
    """The database's clock when the round ran."""
    held: tuple[str, ...]
    """The devices this poller holds after the round (those handed over excluded)."""
    taken: tuple[str, ...]
    released: tuple[str, ...]
    """Devices to hand over: still held, until the poll loop has stopped polling them."""
    pollers: tuple[PollerSeen, ...]
    plan: LeasePlan


def database_now(connection: Connection) -> float:
    """Unix seconds by the database's clock (PostgreSQL's: pollers share only a database)."""
    return float(connection.execute(text("SELECT extract(epoch from clock_timestamp())")).scalar_one())


def lease_round(connection: Connection, poller: Poller, devices: Mapping[str, Sequence[str]], ttl_s: float, round_s: float,
                started_at: float | None, handing_over: Collection[str]) -> LeaseRound:
    """One heartbeat: this poller's leases renewed (those being handed over too, until released),
    the pollers alive read, free devices taken up to its fair share, and its row refreshed.
    `started_at`: when this poller's first round ran (None: this is the first)."""
    now = database_now(connection)
    pollers_table, leases = schema.pollers, schema.device_leases
    holder = connection.execute(select(pollers_table).where(pollers_table.c.name == poller.name)).first()
    if started_at is None and holder is not None and holder.heartbeat_at + holder.lease_s > now \
            and (holder.pid, holder.host) != (os.getpid(), socket.gethostname()):
        raise StoreError(f"poller {poller.name} already runs (pid {holder.pid} on {holder.host}): give each poller "
                         "its own --poller name")
    me = PollerSeen(poller.name, poller.groups, now if started_at is None else started_at, now, ttl_s,
                    socket.gethostname(), os.getpid())
    renewed = connection.execute(update(leases).where(leases.c.poller == poller.name).values(expires_at=now + ttl_s)
                                 .returning(leases.c.device)).scalars().all()
    alive = (me, *(poller_seen(r) for r in connection.execute(select(pollers_table).where(  # alive: its leases could not have expired
        pollers_table.c.name != poller.name, pollers_table.c.heartbeat_at + pollers_table.c.lease_s > now))))
    seen = [LeaseSeen(r.device, r.poller, r.expires_at) for r in connection.execute(select(leases))]
    plan = plan_leases(me, alive, seen, devices, now, round_s)
    gone = set(renewed) - set(plan.keep) - set(plan.release)  # no longer in the inventory, or no longer in its groups
    if gone:
        connection.execute(delete(leases).where(leases.c.poller == poller.name, leases.c.device.in_(gone)))
    taken = _take(connection, poller.name, plan.take, now, ttl_s)
    held = tuple(sorted({*plan.keep, *taken, *(set(handing_over) & set(renewed))} - set(plan.release)))
    row = {"name": me.name, "groups": ",".join(me.groups), "host": me.host, "pid": me.pid, "started_at": me.started_at,
           "heartbeat_at": now, "devices": len(held), "lease_s": ttl_s}
    upsert(connection, pollers_table, [row], [name for name in row if name != "name"])  # the heartbeat, written once a round
    return LeaseRound(now, held, taken, plan.release, alive, plan)


def _take(connection: Connection, poller: str, devices: Sequence[str], now: float, ttl_s: float) -> tuple[str, ...]:
    """The devices of `devices` whose lease was free or expired, now this poller's."""
    if not devices:
        return ()
    leases = schema.device_leases
    insert = dialect_insert(connection, leases)
    statement = insert.on_conflict_do_update(
        index_elements=["device"], set_={"poller": insert.excluded.poller, "taken_at": insert.excluded.taken_at,
                                         "expires_at": insert.excluded.expires_at},
        where=leases.c.expires_at <= now).returning(leases.c.device)
    won = []
    for device in devices:  # one statement each: RETURNING tells which ones this poller won
        row = connection.execute(statement, {"device": device, "poller": poller, "taken_at": now, "expires_at": now + ttl_s}).first()
        if row is not None:
            won.append(device)
    return tuple(won)


def release(connection: Connection, poller: str, devices: Collection[str]) -> int:
    """Hand devices over: their leases deleted, free for the next poller's round. How many were still this poller's."""
    leases = schema.device_leases
    return connection.execute(delete(leases).where(leases.c.poller == poller, leases.c.device.in_(list(devices)))).rowcount


def leave(connection: Connection, poller: str) -> None:
    """A clean stop: every lease of this poller given up at once (the others take them at their
    next round, not after the leases expire), and its row marked as stopped."""
    connection.execute(delete(schema.device_leases).where(schema.device_leases.c.poller == poller))
    connection.execute(update(schema.pollers).where(schema.pollers.c.name == poller).values(devices=0, heartbeat_at=0.0))
