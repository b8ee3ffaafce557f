"""What a device knows about its neighbourhood: learned MACs, ARP entries, LLDP neighbours."""

from __future__ import annotations

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


@dataclass(frozen=True, slots=True)
class ArpEntry:
    ip: str
    mac: str
    if_index: int


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


def mac_text(octets: bytes) -> str:
    return ":".join(f"{octet:02x}" for octet in octets)
