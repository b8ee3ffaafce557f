"""`portmap map`: the topology as JSON, Graphviz DOT, GraphML or a Mermaid flowchart."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from portmap.core.neighbourhood import topology
from portmap.core.topology import topology_at
from portmap.engine.store import queries
from portmap.engine.store.store import Store
from portmap.engine.tables import read_once, roles_of
from portmap.inventory.model import Device
from portmap.present.map import not_read_lines, render


async def run_map(devices: Sequence[Device], inventoried: Sequence[Device], fmt: str, with_hosts: bool) -> int:
    """`inventoried`: the whole inventory (`devices` may be some of it): every device is a node."""
    tables, errors = await read_once(devices)
    unanswered = {error.device: str(error).removeprefix(error.device + ": ") for error in errors}
    print(render(topology(tables, roles_of(inventoried), with_hosts, unanswered), fmt))
    for line in not_read_lines(tables, errors):
        print(line, file=sys.stderr)
    return 1 if errors else 0


def run_map_at(inventoried: Sequence[Device], fmt: str, with_hosts: bool, at: float, location: str) -> int:
    """The links (and hosts) as the history store kept them at a moment; no SNMP is sent."""
    with Store(location) as store, store.transaction() as connection:
        links = queries.links_at(connection, at)
        placed, ips = queries.placed_at(connection, at) if with_hosts else ([], {})
    print(render(topology_at(roles_of(inventoried), links, placed, ips), fmt))
    return 0
