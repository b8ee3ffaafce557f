"""`portmap find QUERY`: where a MAC, an IP, a host name or a port description is plugged in, with the evidence."""

from __future__ import annotations

import json
from collections.abc import Sequence

from portmap.core.neighbourhood import map_neighbourhood
from portmap.core.search import find
from portmap.engine.dns import ReverseDns
from portmap.engine.tables import read_once, roles_of, with_names
from portmap.inventory.model import Device
from portmap.present.find import find_json, find_lines


async def run_find(devices: Sequence[Device], inventoried: Sequence[Device], query: str, as_json: bool,
                   dns: ReverseDns | None) -> int:
    """`inventoried`: the whole inventory (`devices` may be some of it)."""
    tables, errors = await read_once(devices)
    neighbourhood = await with_names(map_neighbourhood(tables, roles_of(inventoried)), dns)
    found = find(query, neighbourhood, tables)
    failed = [str(error) for error in errors]
    asked = {d.name for d in devices}
    routers_not_read = [d.name for d in inventoried if "router" in d.roles and d.name not in asked]
    if as_json:
        print(json.dumps(find_json(found, neighbourhood, tables, failed, routers_not_read), indent=2))
    else:
        print("\n".join(find_lines(found, neighbourhood, tables, failed, routers_not_read)))
    return 0 if found else 1
