"""`portmap map`: the topology as JSON, Graphviz DOT, GraphML or a Mermaid flowchart."""

from __future__ import annotations

from collections.abc import Sequence

from portmap.core.neighbourhood import topology
from portmap.engine.tables import read_once, roles_of
from portmap.inventory.model import Device
from portmap.present.map import render


async def run_map(devices: Sequence[Device], inventoried: Sequence[Device], fmt: str, with_hosts: bool) -> int:
    """`inventoried`: the whole inventory (`devices` may be some of it): every device is a node."""
    tables, errors = await read_once(devices)
    print(render(topology(tables, roles_of(inventoried), with_hosts), fmt))
    return 1 if errors else 0
