"""What a device knows about its neighbourhood: learned MACs, ARP entries, LLDP neighbours."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

FDB_STATUS = {1: "other", 2: "invalid", 3: "learned", 4: "self", 5: "mgmt"}


@dataclass(frozen=True, slots=True)
class FdbEntry:
    mac: str
    vlan: int | None
    bridge_port: int
    if_index: int | None
    """None where the agent maps the bridge port to no interface."""
    status: str
    """dot1dTpFdbStatus's name; "unknown" where the agent gives no status."""

    @property
    def learned(self) -> bool:
        """Learned on a port: said so, or said nothing (agents without the status column)."""
        return self.status in ("learned", "unknown") and self.bridge_port != 0


@dataclass(frozen=True, slots=True)
class ArpEntry:
    ip: str
    mac: str
    if_index: int
    source: str = "ipNetToPhysical"
    """The IP-MIB table it came from: ipNetToPhysical (IPv4 and IPv6) or ipNetToMedia (IPv4)."""


@dataclass(frozen=True, slots=True)
class Neighbor:
    protocol: str
    local_port_num: int
    local_if_index: int | None
    """None where no local port description matches an interface."""
    remote_sysname: str
    remote_chassis_id: str
    remote_port: str
    remote_port_desc: str
    remote_address: str = ""
    """Its management address, where it gives one."""
    platform: str = ""
    """CDP's platform, or LLDP's system description."""


def mac_text(octets: bytes) -> str:
    return ":".join(f"{octet:02x}" for octet in octets)


def neighbor_device(neighbor: Neighbor, devices: Collection[str], device_macs: Mapping[str, str]) -> str | None:
    """The inventoried device an LLDP/CDP neighbour is, or None: by its name (bare, or with a
    domain or a CDP serial suffix: `sw1.example.net`, `sw1(FOC123)`), else by its chassis MAC."""
    name = neighbor.remote_sysname
    for candidate in (name, name.split("(")[0], name.split(".")[0]):
        if candidate in devices:
            return candidate
    return device_macs.get(neighbor.remote_chassis_id) or device_macs.get(neighbor.remote_sysname)
