"""The one correlator of a shared store: elected among the pollers by an advisory lock (the
server releases it when its holder dies, and the next poller to try takes it), it merges the
incidents the pollers wrote apart (core/correlate.py) and names the hosts behind an entry
port with the IPs other pollers' routers know."""

from __future__ import annotations

import json
import logging
import time

from sqlalchemy import Connection, or_, select, text, tuple_, update

from portmap.core.correlate import merge_incidents
from portmap.core.incidents import RECUR_WITHIN_S
from portmap.engine.store import schema
from portmap.engine.store.doorbell import ring
from portmap.engine.store.queries import SEEN_WITHIN_S, links_at, stored_incident
from portmap.engine.store.store import Store

log = logging.getLogger("portmap.shared")

CORRELATOR_LOCK_KEY = int.from_bytes(b"pm-corr", "big")


class Correlator:
    def __init__(self, store: Store, poller: str) -> None:
        self.store, self.poller = store, poller
        self._held: Connection | None = None

    def elected(self) -> bool:
        """Whether this poller correlates: it holds the lock, or took it now."""
        if self._held is None:
            connection = self.store.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            if connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": CORRELATOR_LOCK_KEY}).scalar():
                self._held = connection
                log.info("poller %s correlates the pollers' incidents", self.poller)
            else:
                connection.close()
        return self._held is not None

    def correlate(self, now: float | None = None) -> int:
        """One pass over the recent incidents; the number of incidents merged into others."""
        now = time.time() if now is None else now
        with self.store.transaction() as connection:
            return _correlate(connection, now)

    def close(self) -> None:
        if self._held is not None:
            self._held.close()
            self._held = None


def _correlate(connection: Connection, now: float) -> int:
    table = schema.incidents
    rows = connection.execute(select(table).where(table.c.last_seen >= now - 2 * RECUR_WITHIN_S)).all()
    found = [stored_incident(row) for row in rows]
    links = links_at(connection, now)
    uplinks = {(link.device_a, link.port_a) for link in links} | {(link.device_b, link.port_b) for link in links}
    sightings = schema.mac_sightings
    ports = [(i.device, i.port) for i in found]
    if ports:
        uplinks |= set(connection.execute(select(sightings.c.device, sightings.c.port).distinct().where(
            tuple_(sightings.c.device, sightings.c.port).in_(ports), sightings.c.uplink != "",
            sightings.c.last_seen >= now - SEEN_WITHIN_S)).all())
    merges = merge_incidents(found, uplinks, [(link.device_a, link.device_b) for link in links])
    by_id = {incident.id: incident for incident in found}
    changed = 0
    for merge in merges:  # written where it changes anything: a pass runs 4 times an interval
        changed += connection.execute(update(table).where(table.c.id.in_(merge.merged), or_(
            table.c.merged_into.is_(None), table.c.merged_into != merge.into)).values(merged_into=merge.into)).rowcount
        entry = by_id[merge.into]
        hosts = _named(connection, list(entry.hosts), now)
        if list(merge.path) != list(entry.path) or hosts != list(entry.hosts):
            changed += connection.execute(update(table).where(table.c.id == merge.into).values(
                path=json.dumps(list(merge.path)), hosts=json.dumps(hosts))).rowcount
    if changed:
        ring(connection)
    return sum(len(merge.merged) for merge in merges)


def _named(connection: Connection, hosts: list[dict[str, object]], now: float) -> list[dict[str, object]]:
    """Hosts without an IP given those another poller's routers bind to their MAC."""
    bindings = schema.ip_bindings
    named = []
    for host in hosts:
        if not host.get("ips"):
            found = connection.execute(select(bindings.c.ip, bindings.c.name).where(
                bindings.c.mac == host["mac"], bindings.c.last_seen >= now - SEEN_WITHIN_S).order_by(bindings.c.ip)).all()
            if found:
                host = {**host, "ips": [row.ip for row in found], "name": host.get("name") or next((r.name for r in found if r.name), None)}
        named.append(host)
    return named
