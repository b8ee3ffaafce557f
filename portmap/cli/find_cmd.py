"""`portmap find QUERY`: where a MAC, an IP, a host name or a port description is plugged in, with the evidence."""

from __future__ import annotations

import json
from collections.abc import Sequence

from portmap.core.neighbourhood import map_neighbourhood
from portmap.core.search import matching_hosts
from portmap.engine.dns import ReverseDns
from portmap.engine.tables import read_once, with_names
from portmap.inventory.model import Device
from portmap.present.find import host_json, host_text


async def run_find(devices: Sequence[Device], query: str, as_json: bool, dns: ReverseDns | None) -> int:
    tables, errors = await read_once(devices)
    neighbourhood = await with_names(map_neighbourhood(tables), dns)
    names = {(t.device, i): (info.if_name, info.alias) for t in tables for i, info in t.interfaces.items()}
    hosts = matching_hosts(query, neighbourhood, {k: v[1] for k, v in names.items()})
    failed = [str(error) for error in errors]
    if as_json:
        print(json.dumps({"query": query, "found": [host_json(h, names, neighbourhood.name_of(h)) for h in hosts], "unreachable": failed}, indent=2))
    else:
        for line in (line for host in hosts for line in host_text(host, names, neighbourhood.name_of(host))):
            print(line)
        if not hosts:
            print(f"{query}: not found in any forwarding table")
        for error in failed:
            print(f"x {error}")
    return 0 if hosts else 1
