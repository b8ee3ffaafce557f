"""Read what each device knows of its neighbourhood: interfaces, learned MACs, ARP, LLDP.

These tables change slowly, so they are read on their own, not with every counter poll.
One device failing never stops the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from portmap.core.samples import InterfaceInfo
from portmap.core.tables import ArpEntry, FdbEntry, Neighbor
from portmap.errors import SnmpError
from portmap.inventory.model import Device
from portmap.snmp.bridge import read_fdb
from portmap.snmp.ifmib import read_interfaces
from portmap.snmp.ipmib import read_arp
from portmap.snmp.lldp import read_lldp
from portmap.snmp.session import SnmpClient


@dataclass(frozen=True, slots=True)
class DeviceTables:
    device: str
    interfaces: dict[int, InterfaceInfo]
    fdb: list[FdbEntry]
    arp: list[ArpEntry]
    neighbors: list[Neighbor]


async def read_tables(client: SnmpClient, device: Device) -> DeviceTables | SnmpError:
    session = client.session(device)
    try:
        interfaces, _ = await read_interfaces(session)
        fdb = await read_fdb(session) if "switch" in device.roles else []
        arp = await read_arp(session) if "router" in device.roles else []
        neighbors = await read_lldp(session, interfaces)
    except SnmpError as error:
        return error
    return DeviceTables(device.name, interfaces, fdb, arp, neighbors)


async def read_all_tables(client: SnmpClient, devices: Sequence[Device]) -> list[DeviceTables | SnmpError]:
    return list(await asyncio.gather(*(read_tables(client, d) for d in devices)))
