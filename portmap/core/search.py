"""Which hosts a query names: a MAC in any notation, an IP, a DNS name or a port's description."""

from __future__ import annotations

import ipaddress

import netaddr

from portmap.core.neighbourhood import Neighbourhood
from portmap.core.placement import HostLocation


def normalise_mac(query: str) -> str | None:
    """Any common notation (aa:bb:.., aa-bb-.., aabb.ccdd.eeff, aabbccddeeff) -> aa:bb:cc:dd:ee:ff."""
    if not netaddr.valid_mac(query):
        return None
    return str(netaddr.EUI(query, version=48, dialect=netaddr.mac_unix_expanded))


def matching_hosts(query: str, neighbourhood: Neighbourhood) -> list[HostLocation]:
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

    def on_described_port(host: HostLocation) -> bool:
        info = neighbourhood.interfaces.get(host.port) if host.port is not None else None
        return info is not None and needle in info.alias.lower()

    return [h for h in neighbourhood.hosts.values() if named(h) or on_described_port(h)]
