"""Where a host is plugged in, with the evidence: `portmap find` as text or JSON."""

from __future__ import annotations

from collections.abc import Sequence

from portmap.core.neighbourhood import DeviceTables, Neighbourhood
from portmap.core.placement import HostLocation
from portmap.present.text import shown
from portmap.present.vendors import vendor


def _port_name(neighbourhood: Neighbourhood, device: str, if_index: int | None, unknown: str) -> str:
    info = neighbourhood.interfaces.get((device, if_index)) if if_index is not None else None
    return shown(info.if_name) if info else unknown


def host_json(host: HostLocation, neighbourhood: Neighbourhood) -> dict[str, object]:
    info = neighbourhood.interfaces.get(host.port) if host.port else None
    return {
        "switch": host.port[0] if host.port else None,
        "if_index": host.port[1] if host.port else None,
        "port": (info.if_name or None) if info else None,
        "alias": (info.alias or None) if info else None,
        "vlan": host.vlan,
        "mac": host.mac,
        "ips": list(host.ips),
        "name": neighbourhood.name_of(host),
        "vendor": vendor(host.mac),
        "evidence": {
            "reason": host.reason,
            "seen_on": [
                {"switch": s.device, "port": _port_name(neighbourhood, s.device, s.if_index, "") or None,
                 "if_index": s.if_index, "macs_on_port": s.macs_on_port, "uplink": s.uplink or None}
                for s in host.sightings
            ],
        },
    }


def host_text(host: HostLocation, neighbourhood: Neighbourhood) -> list[str]:
    where = f"{host.port[0]} {_port_name(neighbourhood, *host.port, '?')}" if host.port else "no access port found"
    lines = [f"{host.mac}  {', '.join(host.ips) or '-'}  name {shown(neighbourhood.name_of(host) or '-')}  "
             f"vendor {vendor(host.mac) or '-'}  vlan {host.vlan}  -> {where}",
             f"  why: {host.reason}"]
    for seen in host.sightings:
        role = f"uplink: {seen.uplink}" if seen.uplink else "access port"
        lines.append(f"  seen on {seen.device} {_port_name(neighbourhood, seen.device, seen.if_index, '?')} "
                     f"({seen.macs_on_port} MACs there, {role})")
    return lines


def find_json(query: str, hosts: Sequence[HostLocation], neighbourhood: Neighbourhood, tables: Sequence[DeviceTables],
              failed: Sequence[str]) -> dict[str, object]:
    return {"query": query, "found": [host_json(h, neighbourhood) for h in hosts],
            "not_read": [{"device": t.device, "tables": list(t.unread)} for t in tables if t.unread],
            "unreachable": list(failed)}


def find_lines(query: str, hosts: Sequence[HostLocation], neighbourhood: Neighbourhood, tables: Sequence[DeviceTables],
               failed: Sequence[str]) -> list[str]:
    lines = [line for host in hosts for line in host_text(host, neighbourhood)]
    partial = [t for t in tables if t.unread]
    if not hosts:
        lines.append(f"{query}: not found in the tables read" if partial or failed else f"{query}: not found in any forwarding table")
    lines += [f"? {t.device}: {', '.join(t.unread)} not read" for t in partial]
    return lines + [f"x {error}" for error in failed]
