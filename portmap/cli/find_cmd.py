"""`portmap find QUERY`: where a MAC, an IP, a host name or a port description is plugged in, with the evidence."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from portmap.core.history import HostHistory

from portmap.core.neighbourhood import map_neighbourhood
from portmap.core.search import find
from portmap.engine.dns import ReverseDns
from portmap.engine.store import queries
from portmap.engine.store.store import Store, StoreError
from portmap.engine.tables import read_once, roles_of, with_names
from portmap.inventory.model import Device
from portmap.present.find import find_json, find_lines
from portmap.present.history import history_json, last_seen_lines


async def run_find(devices: Sequence[Device], inventoried: Sequence[Device], query: str, as_json: bool,
                   dns: ReverseDns | None, history_store: str | None = None) -> int:
    """`inventoried`: the whole inventory (`devices` may be some of it). `history_store`: where
    to look for the last place of what no table has now (find --history)."""
    tables, errors = await read_once(devices)
    neighbourhood = await with_names(map_neighbourhood(tables, roles_of(inventoried)), dns)
    found = find(query, neighbourhood, tables)
    failed = [str(error) for error in errors]
    asked = {d.name for d in devices}
    routers_not_read = [d.name for d in inventoried if "router" in d.roles and d.name not in asked]
    history = last_places(history_store, query) if history_store and not found else None
    if as_json:
        print(json.dumps(find_json(found, neighbourhood, tables, failed, routers_not_read) | history_json(history), indent=2))
    else:
        print("\n".join(find_lines(found, neighbourhood, tables, failed, routers_not_read) + last_seen_lines(history, time.time())))
    return 0 if found else 1


def last_places(location: str, query: str) -> HostHistory | str:
    """What the history store knows of the query, or why it could not be read."""
    try:
        store = Store(location)
    except StoreError as error:
        return str(error)
    with store, store.transaction() as connection:
        return queries.host_history(connection, queries.macs_named(connection, query), 0.0, float("inf"))
