"""`portmap tables`: what portmap read from each device, normalised (text or JSON)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from portmap.inventory.model import Device
from portmap.neighbourhood import DeviceTables, read_all_tables_once


def tables_json(tables: DeviceTables) -> dict[str, object]:
    names = {i: info.if_name for i, info in tables.interfaces.items()}
    return {
        "device": tables.device,
        "interfaces": [
            {"if_index": i.if_index, "if_name": i.if_name, "if_descr": i.if_descr, "alias": i.alias,
             "type": i.if_type, "speed": i.speed_bps, "mac": i.mac or None}
            for i in tables.interfaces.values()
        ],
        "fdb": [
            {"mac": e.mac, "vlan": e.vlan, "if_index": e.if_index, "if_name": names.get(e.if_index or -1), "status": e.status}
            for e in tables.fdb
        ],
        "arp": [{"ip": e.ip, "mac": e.mac, "if_index": e.if_index} for e in tables.arp],
        "neighbors": [
            {"local_if_index": n.local_if_index, "local_if_name": names.get(n.local_if_index or -1), "protocol": n.protocol,
             "remote_sysname": n.remote_sysname, "remote_chassis_id": n.remote_chassis_id, "remote_port": n.remote_port,
             "remote_port_desc": n.remote_port_desc, "remote_address": None, "platform": None}
            for n in tables.neighbors
        ],
    }


def tables_text(tables: DeviceTables) -> list[str]:
    names = {i: info.if_name for i, info in tables.interfaces.items()}
    lines = [f"{tables.device}: {len(tables.interfaces)} interfaces, {len(tables.fdb)} FDB entries, "
             f"{len(tables.arp)} ARP entries, {len(tables.neighbors)} neighbours"]
    lines += [f"  fdb  {e.mac}  vlan {e.vlan}  {names.get(e.if_index or -1, '(no interface)')}  {e.status}" for e in tables.fdb]
    lines += [f"  arp  {e.ip}  {e.mac}  ifIndex {e.if_index}" for e in tables.arp]
    lines += [f"  lldp {names.get(n.local_if_index or -1, f'(LLDP port {n.local_port_num})')} -> {n.remote_sysname} {n.remote_port}"
              for n in tables.neighbors]
    return lines


async def run_tables(devices: Sequence[Device], as_json: bool) -> int:
    read, failed = await read_all_tables_once(devices)
    if as_json:
        print(json.dumps({
            "devices": [tables_json(t) for t in read],
            "unreachable": [{"device": e.device, "error": str(e), "kind": type(e).__name__} for e in failed],
        }, indent=2))
    else:
        for tables in read:
            print("\n".join(tables_text(tables)))
        for error in failed:
            print(f"x {error}")
    return 1 if failed else 0
