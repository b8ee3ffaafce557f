"""The pollers' published polls in a shared store (core/published.py): each shared poller writes
its last one after every poll; a face on any machine reads them all, with the links and the
addresses the store keeps, and merges them. The whole network, without sending SNMP.

msgspec encodes the core's dataclasses and named tuples as JSON and decodes them back into the
same types, checked: a document a poller of another version wrote is refused with one warning,
never half read.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence

import msgspec
from sqlalchemy import Connection, select

from portmap.core.published import NetworkView, PublishedFrame, publish
from portmap.core.snapshot import Frame
from portmap.core.topology import topology_at
from portmap.engine.store import schema
from portmap.engine.store.leases import database_now
from portmap.engine.store.queries import SEEN_WITHIN_S, links_at, placed_at, pollers
from portmap.engine.store.store import Store
from portmap.engine.store.writer import upsert

log = logging.getLogger("portmap.history")

_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(PublishedFrame)


def document_of(published: PublishedFrame) -> str:
    return _ENCODER.encode(published).decode()


def published_in(document: str | bytes) -> PublishedFrame:
    """The PublishedFrame a document holds (msgspec.MsgspecError: not one, or not whole)."""
    return _DECODER.decode(document)


def write_published(store: Store, poller: str, frame: Frame) -> None:
    """`frame` as `poller` publishes it, in place of its last."""
    published = publish(frame)
    row = {"poller": poller, "taken_at": published.taken_at, "document": document_of(published)}
    with store.transaction() as connection:
        upsert(connection, schema.published_frames, [row], ("taken_at", "document"))


def any_pollers(connection: Connection) -> bool:
    """Whether pollers share this store (their published polls are the network's, not a poll of one's own)."""
    return connection.execute(select(schema.pollers.c.name).limit(1)).first() is not None


def read_network(connection: Connection, roles: Mapping[str, Sequence[str]],
                 unreadable: set[str]) -> tuple[dict[str, PublishedFrame], NetworkView]:
    """Every poller's last published poll, and what the store knows now of links, hosts' IPs and
    names. `unreadable`: pollers whose document could not be read, warned about once each."""
    now = database_now(connection) if connection.dialect.name == "postgresql" else time.time()
    frames: dict[str, PublishedFrame] = {}
    for row in connection.execute(select(schema.published_frames)):
        try:
            frames[row.poller] = published_in(row.document)
            unreadable.discard(row.poller)
        except msgspec.MsgspecError as error:
            if row.poller not in unreadable:
                log.warning("poller %s's last poll not read (a portmap of another version?): %s", row.poller, error)
                unreadable.add(row.poller)
    placed, ips = placed_at(connection, now)
    bindings = schema.ip_bindings
    names = {ip: name for ip, name in connection.execute(select(bindings.c.ip, bindings.c.name).where(
        bindings.c.name.is_not(None), bindings.c.last_seen >= now - SEEN_WITHIN_S))}
    view = NetworkView(tuple(pollers(connection)), now, topology_at(roles, links_at(connection, now), placed, ips),
                       {mac: tuple(found) for mac, found in ips.items()}, names)
    return frames, view
