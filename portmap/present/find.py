"""Where a host is plugged in, with the evidence: `portmap find` as text or JSON."""

from __future__ import annotations

from portmap.core.placement import HostLocation
from portmap.present.vendors import vendor


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
