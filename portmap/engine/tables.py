"""Reading what each device knows of its neighbourhood: interfaces, learned MACs, ARP, LLDP and CDP.

These tables change slowly, so they are read on their own, not with every counter poll.
One device failing never stops the others.
"""

from __future__ import annotations

import asyncio
import time
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace

from portmap.core.neighbourhood import DeviceTables, Neighbourhood, map_neighbourhood
from portmap.core.samples import DeviceCheck
from portmap.engine.dns import ReverseDns
from portmap.errors import SnmpError
from portmap.inventory.model import Device
from portmap.snmp import oids
from portmap.snmp.ifmib import read_interfaces, read_system
from portmap.snmp.readers import READERS
from portmap.snmp.session import SnmpClient

log = logging.getLogger(__name__)


async def read_tables(client: SnmpClient, device: Device) -> DeviceTables | SnmpError:
    """What every reader of snmp/readers.py wanted for the device's roles reads, in turn. A device
    is what it answered: a table it does not answer for is listed (`unread`, `problems`) and the
    others are read; only a device that answers nothing is an error."""
    session = client.session(device)
    try:
        await session.get([oids.sysUpTime.instance(0)])
    except SnmpError as error:
        return error
    tables = DeviceTables(device.name)
    for reader in READERS:
        if not reader.wanted(device.roles):
            continue
        try:
            tables = await reader.read(session, tables)
        except SnmpError as error:
            tables = _unread(tables, reader.name, str(error).removeprefix(device.name + ": "))
        except Exception as bug:  # an answer no reader foresaw costs that table, never the device or the command
            log.warning("%s: %s: unreadable answer (%s: %s)", device.name, reader.name, type(bug).__name__, bug)
            tables = _unread(tables, reader.name, f"unreadable answer ({type(bug).__name__}: {bug})")
    if session.max_repetitions < device.snmp.max_repetitions:
        tables = replace(tables, problems=(*tables.problems, f"walks ask {session.max_repetitions} GETBULK repetitions, not "
                                           f"{device.snmp.max_repetitions}: larger answers were too big or never came"))
    return tables


def _unread(tables: DeviceTables, reader: str, why: str) -> DeviceTables:
    return replace(tables, unread=(*tables.unread, reader), problems=(*tables.problems, f"{reader} not read: {why}"))


async def read_all_tables(
    client: SnmpClient, devices: Sequence[Device]
) -> tuple[list[DeviceTables], list[SnmpError]]:
    """Every device's tables, read side by side: those read, and the errors of those that failed."""
    results = await asyncio.gather(*(read_tables(client, d) for d in devices))
    return [r for r in results if isinstance(r, DeviceTables)], [r for r in results if isinstance(r, SnmpError)]


@contextmanager
def _own_client() -> Iterator[SnmpClient]:
    """An SNMP client for one command, closed afterwards."""
    client = SnmpClient()
    try:
        yield client
    finally:
        client.close()


async def read_once(devices: Sequence[Device]) -> tuple[list[DeviceTables], list[SnmpError]]:
    """read_all_tables on an SNMP client of its own (for one-shot commands)."""
    with _own_client() as client:
        return await read_all_tables(client, devices)


def roles_of(devices: Sequence[Device]) -> dict[str, list[str]]:
    return {d.name: sorted(d.roles) for d in devices}


async def with_names(neighbourhood: Neighbourhood, dns: ReverseDns | None) -> Neighbourhood:
    """The neighbourhood with its hosts' reverse DNS names (none when `dns` is None: --no-dns)."""
    if dns is None:
        return neighbourhood
    names = await dns.names(ip for host in neighbourhood.hosts.values() for ip in host.ips)
    return replace(neighbourhood, names=names)


async def read_neighbourhood(client: SnmpClient, devices: Sequence[Device], dns: ReverseDns | None,
                             inventoried: Sequence[Device] = ()) -> Neighbourhood:
    """Who is behind each port, from the devices that answered; the failures show in the poll.
    `inventoried`: the whole inventory, where only some of its devices are read."""
    asked_at = time.time()
    tables, _ = await read_all_tables(client, devices)
    return await with_names(replace(map_neighbourhood(tables, roles_of([*inventoried, *devices])), read_at=asked_at), dns)


async def _check(client: SnmpClient, device: Device) -> DeviceCheck | SnmpError:
    session = client.session(device)
    try:
        system = await read_system(session)
    except SnmpError as error:
        return error
    try:
        await read_interfaces(session)
    except SnmpError as error:
        return DeviceCheck(system, f"walking the interface table failed: {str(error).removeprefix(device.name + ': ')}")
    size = session.max_repetitions
    walks = "" if size >= device.snmp.max_repetitions else f"walks ask {size} GETBULK repetitions: larger answers never came"
    return DeviceCheck(system, walks)


async def probe_system(devices: Sequence[Device]) -> list[DeviceCheck | SnmpError]:
    """Who each device says it is (sysName, sysDescr, uptime, ifNumber) and whether its interface
    table walks, or why it did not answer, in order."""
    with _own_client() as client:
        return list(await asyncio.gather(*(_check(client, d) for d in devices)))
