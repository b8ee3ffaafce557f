"""MAC address -> vendor, from the IEEE OUI registry that netaddr ships (no download)."""

from __future__ import annotations

from functools import cache

import netaddr


@cache
def vendor(mac: str) -> str | None:
    try:
        return str(netaddr.EUI(mac).oui.registration().org)
    except (netaddr.NotRegisteredError, netaddr.AddrFormatError, IndexError):
        return None
