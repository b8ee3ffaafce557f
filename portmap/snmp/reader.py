"""What a table reader is: one module's read of one part of a device's tables.

A reader module exposes a TableReader: what it reads (its MIB objects), for which device
roles, and how it adds what it read to the device's tables. snmp/readers.py lists them all,
in the order they are read; the engine, `tables` and the tests find them there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass

from portmap.core.neighbourhood import DeviceTables
from portmap.snmp.oids import MibObject
from portmap.snmp.session import DeviceSession


@dataclass(frozen=True, slots=True)
class TableReader:
    name: str
    objects: tuple[MibObject, ...]
    """The MIB objects it reads (tests check that mibs/ defines each and the demo serves them)."""
    roles: frozenset[str]
    """The device roles it is read for; empty: every device."""
    read: Callable[[DeviceSession, DeviceTables], Awaitable[DeviceTables]]
    """The device's tables so far -> the same with what this reader read added."""

    def wanted(self, roles: Collection[str]) -> bool:
        return not self.roles or bool(self.roles & set(roles))
