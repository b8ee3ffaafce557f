"""What portmap read from each device, normalised: `portmap tables` as text or JSON."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from portmap.core.tables import Neighbor, neighbor_device
from portmap.core.neighbourhood import DeviceTables, device_macs
from portmap.core.samples import PortKey
from portmap.present.text import plural, shown


class Inventoried:
    """Tells whether a neighbour is a device of the inventory, as placement and the map decide it."""

    def __init__(self, known: Collection[str], read: Sequence[DeviceTables]) -> None:
        self.known = set(known)
        self.macs = device_macs(read)

    def __call__(self, neighbor: Neighbor) -> bool:
        return neighbor_device(neighbor, self.known, self.macs) is not None


def tables_json(tables: DeviceTables, inventoried: Inventoried, uplinks: Mapping[PortKey, str] | None = None) -> dict[str, object]:
    """`uplinks`: the neighbourhood's uplink ports, with the evidence for each."""
    names = {i: info.if_name for i, info in tables.interfaces.items()}
    return {
        "device": tables.device,
        "interfaces": [
            {"if_index": i.if_index, "if_name": i.if_name, "if_descr": i.if_descr, "alias": i.alias,
             "type": i.if_type, "speed": i.speed_bps, "mac": i.mac or None, "aggregate": tables.aggregates.get(i.if_index),
             "addresses": list(tables.addresses.get(i.if_index, ())), "uplink": (uplinks or {}).get((tables.device, i.if_index))}
            for i in tables.interfaces.values()
        ],
        "fdb_source": tables.fdb_source,
        "fdb": [
            {"mac": e.mac, "vlan": e.vlan, "bridge_port": e.bridge_port, "if_index": e.if_index,
             "if_name": names.get(e.if_index or -1), "status": e.status}
            for e in tables.fdb
        ],
        "arp": [{"ip": e.ip, "mac": e.mac, "if_index": e.if_index, "if_name": names.get(e.if_index), "source": e.source}
                for e in tables.arp],
        "neighbors": [
            {"local_if_index": n.local_if_index, "local_if_name": names.get(n.local_if_index or -1), "protocol": n.protocol,
             "remote_sysname": n.remote_sysname, "remote_chassis_id": n.remote_chassis_id or None, "remote_port": n.remote_port,
             "remote_port_desc": n.remote_port_desc or None, "remote_address": n.remote_address or None,
             "platform": n.platform or None, "inventoried": inventoried(n)}
            for n in tables.neighbors
        ],
        "not_read": list(tables.unread),
        "problems": list(tables.problems),
    }


def tables_text(tables: DeviceTables, inventoried: Inventoried) -> list[str]:
    names = {i: shown(info.if_name) for i, info in tables.interfaces.items()}
    counts = ((len(tables.interfaces), "interface"), (len(tables.fdb), "FDB entry"), (len(tables.arp), "ARP entry"),
              (len(tables.neighbors), "neighbour"))
    said = [f"{count} {plural(count, word, word[:-1] + 'ies' if word.endswith('y') else None)}" for count, word in counts]
    lines = [f"{tables.device}: {said[0]}, {said[1]} ({tables.fdb_source}), {said[2]}, {said[3]}"]
    lines += [f"  fdb  {e.mac}  vlan {e.vlan}  {names.get(e.if_index or -1, f'(bridge port {e.bridge_port}, no interface)')}  {e.status}"
              for e in tables.fdb]
    lines += [f"  arp  {e.ip}  {e.mac}  {names.get(e.if_index, f'ifIndex {e.if_index} (not in the interface table)')}  ({e.source})"
              for e in tables.arp]
    lines += [f"  {n.protocol:4} {names.get(n.local_if_index or -1, f'(port {n.local_port_num})')} -> "
              f"{shown(n.remote_sysname or n.remote_chassis_id)} {shown(n.remote_port)}{'' if inventoried(n) else '  (not in the inventory)'}"
              for n in tables.neighbors]
    lines += [f"  ! {problem}" for problem in tables.problems]
    return lines
