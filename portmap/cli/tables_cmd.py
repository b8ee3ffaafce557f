"""`portmap tables`: what portmap read from each device, normalised (text or JSON)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from portmap.core.neighbourhood import map_neighbourhood
from portmap.engine.tables import read_once, roles_of
from portmap.inventory.model import Device
from portmap.present.tables import Inventoried, tables_json, tables_text


async def run_tables(devices: Sequence[Device], inventoried: Sequence[Device], as_json: bool) -> int:
    """`inventoried`: the whole inventory, to mark neighbours that are not in it (`devices` may be some of it)."""
    read, failed = await read_once(devices)
    known = Inventoried([d.name for d in inventoried], read)
    neighbourhood = map_neighbourhood(read, roles_of(inventoried))
    if as_json:
        print(json.dumps({
            "devices": [tables_json(t, known, neighbourhood.uplinks) for t in read],
            "problems": list(neighbourhood.problems),
            "unreachable": [{"device": e.device, "error": str(e), "kind": type(e).__name__} for e in failed],
        }, indent=2))
    else:
        for tables in read:
            print("\n".join(tables_text(tables, known)))
        for problem in neighbourhood.problems:
            print(f"! {problem}")
        for error in failed:
            print(f"x {error}")
    return 1 if failed else 0
