"""The table readers' registry: every reader names MIB objects portmap knows, and a reader added
to snmp/readers.py is read by the engine for the roles it asks, with nothing else to change."""

from __future__ import annotations

from dataclasses import replace

from portmap.core.neighbourhood import DeviceTables
from portmap.engine import tables as engine_tables
from portmap.engine.tables import read_once
from portmap.snmp import oids
from portmap.snmp.ifmib import read_system
from portmap.snmp.reader import TableReader
from portmap.snmp.readers import READERS
from portmap.snmp.session import DeviceSession


def test_every_reader_reads_objects_checked_against_the_mibs():
    """tests/test_oids.py checks every object of oids.ALL_OBJECTS against mibs/."""
    known = set(oids.ALL_OBJECTS.values())
    assert all(reader.objects and set(reader.objects) <= known for reader in READERS)
    assert len({reader.name for reader in READERS}) == len(READERS)


async def test_a_reader_added_to_the_registry_is_read_for_its_roles(demo_running, monkeypatch):
    async def uptime_into(session: DeviceSession, tables: DeviceTables) -> DeviceTables:
        system = await read_system(session)
        return replace(tables, problems=(*tables.problems, f"up {system.sys_uptime_cs} cs, read by a new reader"))

    added = TableReader("router uptime", (oids.sysUpTime,), frozenset({"router"}), uptime_into)
    monkeypatch.setattr(engine_tables, "READERS", (*READERS, added))
    read, failed = await read_once(list(demo_running.devices.values()))
    noted = {t.device for t in read if any(problem.endswith("read by a new reader") for problem in t.problems)}
    assert failed == [] and noted == {"rtr1"}
    assert all(t.interfaces for t in read), "the registry's own readers still read"
