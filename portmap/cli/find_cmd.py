"""`portmap find QUERY`: where a MAC, an IP, a host name or a port description is plugged in, with the evidence."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence

import netaddr

from portmap.core.placement import HostLocation
from portmap.inventory.model import Device
from portmap.dns import ReverseDns
from portmap.neighbourhood import Neighbourhood, map_neighbourhood, read_all_tables_once, with_names
from portmap.vendors import vendor


def normalise_mac(query: str) -> str | None:
    """Any common notation (aa:bb:.., aa-bb-.., aabb.ccdd.eeff, aabbccddeeff) -> aa:bb:cc:dd:ee:ff."""
    if not netaddr.valid_mac(query):
        return None
    return str(netaddr.EUI(query, version=48, dialect=netaddr.mac_unix_expanded))


def matching_hosts(query: str, neighbourhood: Neighbourhood, aliases: dict[tuple[str, int], str]) -> list[HostLocation]:
    """By MAC, by IP, else by DNS name (whole or the first label) or a substring of the port's alias."""
    mac = normalise_mac(query)
    if mac is not None:
        return [neighbourhood.hosts[mac]] if mac in neighbourhood.hosts else []
    try:
        ip = str(ipaddress.ip_address(query))
    except ValueError:
        ip = None
    if ip is not None:
        return [h for h in neighbourhood.hosts.values() if ip in h.ips]
    needle = query.lower()

    def named(host: HostLocation) -> bool:
        name = (neighbourhood.name_of(host) or "").lower()
        return bool(name) and (name == needle or name.split(".")[0] == needle)

    return [h for h in neighbourhood.hosts.values()
            if named(h) or (h.port is not None and needle in aliases.get(h.port, "").lower())]


def host_json(host: HostLocation, names: dict[tuple[str, int], tuple[str, str]], dns_name: str | None) -> dict[str, object]:
    if_name, alias = names.get(host.port, ("", "")) if host.port else ("", "")
    return {
        "switch": host.port[0] if host.port else None,
        "if_index": host.port[1] if host.port else None,
        "port": if_name or None,
        "alias": alias or None,
        "vlan": host.vlan,
        "mac": host.mac,
        "ips": list(host.ips),
        "name": dns_name,
        "vendor": vendor(host.mac),
        "evidence": {
            "reason": host.reason,
            "seen_on": [
                {"switch": s.device, "port": names.get((s.device, s.if_index or -1), ("", ""))[0] or None,
                 "if_index": s.if_index, "macs_on_port": s.macs_on_port, "uplink": s.uplink or None}
                for s in host.sightings
            ],
        },
    }


def host_text(host: HostLocation, names: dict[tuple[str, int], tuple[str, str]], dns_name: str | None) -> list[str]:
    where = f"{host.port[0]} {names.get(host.port, ('?', ''))[0]}" if host.port else "no access port found"
    lines = [f"{host.mac}  {', '.join(host.ips) or '-'}  name {dns_name or '-'}  vendor {vendor(host.mac) or '-'}  "
             f"vlan {host.vlan}  -> {where}",
             f"  why: {host.reason}"]
    for seen in host.sightings:
        role = f"uplink: {seen.uplink}" if seen.uplink else "access port"
        port = names.get((seen.device, seen.if_index or -1), ("?", ""))[0]
        lines.append(f"  seen on {seen.device} {port} ({seen.macs_on_port} MACs there, {role})")
    return lines


async def run_find(devices: Sequence[Device], query: str, as_json: bool, dns: ReverseDns | None) -> int:
    tables, errors = await read_all_tables_once(devices)
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
