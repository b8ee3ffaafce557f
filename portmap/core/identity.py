"""A port's identity: what its baselines are kept under, so they follow the port, not its ifIndex.

Agents renumber interfaces (a stack member added or replaced, some vendors at every reboot):
after that, ifIndex 5 is another port, and a baseline kept under the ifIndex would judge it by
its neighbour's normal. The port's name survives: ifName, else ifDescr. A port whose name is
empty or not unique on its device keeps its ifIndex, with what describes it (ifDescr, MAC), so
that a renumbering gives it another identity and no baseline rather than someone else's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from portmap.core.samples import InterfaceInfo


def unnamed(if_index: int) -> str:
    """The identity of a port whose interface list has not been read (tests, a detector alone)."""
    return f"ifIndex {if_index}"


def port_identities(interfaces: Mapping[int, InterfaceInfo]) -> dict[int, str]:
    """ifIndex -> identity for one device's interfaces, each identity used once."""
    names = Counter(info.if_name for info in interfaces.values())
    descriptions = Counter(info.if_descr for info in interfaces.values())

    def named(info: InterfaceInfo) -> str:
        if info.if_name and names[info.if_name] == 1:
            return info.if_name
        return info.if_descr if info.if_descr and descriptions[info.if_descr] == 1 else ""

    candidates = {if_index: named(info) for if_index, info in interfaces.items()}
    taken = Counter(candidates.values())
    return {if_index: name if name and taken[name] == 1 else f"{unnamed(if_index)} {interfaces[if_index].if_descr} {interfaces[if_index].mac}".rstrip()
            for if_index, name in candidates.items()}
