"""`portmap tables`: what portmap read from each device, normalised (text or JSON)."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence

from portmap.engine.tables import read_once
from portmap.inventory.model import Device
from portmap.present.tables import Inventoried, tables_json, tables_text


async def run_tables(devices: Sequence[Device], known: Collection[str], as_json: bool) -> int:
    """`known`: every device name of the inventory, to mark neighbours that are not in it."""
    read, failed = await read_once(devices)
    inventoried = Inventoried(known, read)
    if as_json:
        print(json.dumps({
            "devices": [tables_json(t, inventoried) for t in read],
            "unreachable": [{"device": e.device, "error": str(e), "kind": type(e).__name__} for e in failed],
        }, indent=2))
    else:
        for tables in read:
            print("\n".join(tables_text(tables, inventoried)))
        for error in failed:
            print(f"x {error}")
    return 1 if failed else 0
