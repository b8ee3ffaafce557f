"""Where a host is plugged in, with the evidence: `portmap find` as text or JSON."""

from __future__ import annotations

from collections.abc import Sequence

from portmap.core.neighbourhood import DeviceTables, Neighbourhood
from portmap.core.placement import HostLocation, PortKey
from portmap.core.search import DeviceMac, Found, normalise_mac
from portmap.present.text import plural, shown
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
                     f"({seen.macs_on_port} {plural(seen.macs_on_port, 'MAC')} there, {role})")
    return lines


def _port_json(port: PortKey, found: Found, neighbourhood: Neighbourhood) -> dict[str, object]:
    info = neighbourhood.interfaces.get(port)
    return {"switch": port[0], "if_index": port[1], "port": (info.if_name or None) if info else None,
            "alias": (info.alias or None) if info else None, "uplink": neighbourhood.uplinks.get(port),
            "hosts": [h.mac for h in found.hosts if h.port == port]}


def _device_mac_json(device_mac: DeviceMac | None, neighbourhood: Neighbourhood) -> dict[str, object] | None:
    if device_mac is None:
        return None
    info = neighbourhood.interfaces.get(device_mac.interface) if device_mac.interface else None
    return {"device": device_mac.device, "interface": info.if_name if info else None,
            "learned_on": [{"switch": d, "if_index": i, "port": _port_name(neighbourhood, d, i, "") or None}
                           for d, i in device_mac.learned_on]}


def find_json(found: Found, neighbourhood: Neighbourhood, tables: Sequence[DeviceTables], failed: Sequence[str],
              routers_not_read: Sequence[str]) -> dict[str, object]:
    return {"query": found.query, "found": [host_json(h, neighbourhood) for h in found.hosts],
            "ports": [_port_json(port, found, neighbourhood) for port in found.ports],
            "device_mac": _device_mac_json(found.device_mac, neighbourhood),
            "not_read": [{"device": t.device, "tables": list(t.unread)} for t in tables if t.unread],
            "routers_not_read": list(routers_not_read),
            "unreachable": list(failed)}


def _port_lines(found: Found, neighbourhood: Neighbourhood) -> list[str]:
    """A line for each port named or described that has no host on it: what it is instead."""
    lines = []
    for port in found.ports:
        if any(h.port == port for h in found.hosts):
            continue
        info = neighbourhood.interfaces.get(port)
        alias = f" ({shown(info.alias)})" if info and info.alias else ""
        uplink = neighbourhood.uplinks.get(port)
        what = f"uplink: {uplink}" if uplink else "no host learned on it"
        lines.append(f"{port[0]} {_port_name(neighbourhood, *port, '?')}{alias}: {what}")
    return lines


def _device_mac_lines(device_mac: DeviceMac, mac: str, neighbourhood: Neighbourhood) -> list[str]:
    interface = f" (interface {_port_name(neighbourhood, *device_mac.interface, '?')})" if device_mac.interface else ""
    lines = [f"{mac}: {device_mac.device}'s own address{interface}, an inventoried device, not a host"]
    lines += [f"  learned on {d} {_port_name(neighbourhood, d, i, '?')}" for d, i in device_mac.learned_on]
    return lines


def _not_found(found: Found, tables: Sequence[DeviceTables], failed: Sequence[str], routers_not_read: Sequence[str]) -> str:
    """Why nothing was found, saying only what was searched."""
    if not tables:
        return f"{found.query}: cannot say: no device answered"
    where = {"mac": "in no forwarding table read", "ip": "in no ARP or ND table read",
             "text": "names no host, port or port description read"}[found.kind]
    line = f"{found.query}: {where} ({len(tables)} {plural(len(tables), 'device')}"
    gaps = [f"{len(failed)} did not answer"] if failed else []
    partial = sum(1 for t in tables if t.unread)
    gaps += [f"{partial} read only in part"] if partial else []
    line += f"; {', '.join(gaps)})" if gaps else ")"
    if found.kind == "ip" and routers_not_read:
        line += f"; the routers' ARP tables were not read ({', '.join(routers_not_read)}): add them with --device, or search by MAC"
    return line


def find_lines(found: Found, neighbourhood: Neighbourhood, tables: Sequence[DeviceTables], failed: Sequence[str],
               routers_not_read: Sequence[str] = ()) -> list[str]:
    """The hosts, ports and device address found; else, after what could not be read, why nothing was."""
    lines = [line for host in found.hosts for line in host_text(host, neighbourhood)]
    lines += _port_lines(found, neighbourhood)
    if found.device_mac is not None:
        lines += _device_mac_lines(found.device_mac, normalise_mac(found.query) or found.query, neighbourhood)
    lines += [f"? {t.device}: {', '.join(t.unread)} not read" for t in tables if t.unread]
    lines += [f"x {error}" for error in failed]
    return lines if found else lines + [_not_found(found, tables, failed, routers_not_read)]
