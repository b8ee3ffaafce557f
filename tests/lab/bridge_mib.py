"""BRIDGE-MIB for a Linux bridge, served through net-snmp's pass_persist: the kernel's own FDB.

net-snmp does not serve BRIDGE-MIB for a Linux bridge. This script answers snmpd's get and
getnext for dot1dBaseBridgeAddress, dot1dBaseNumPorts, dot1dBasePortIfIndex and
dot1dTpFdbTable from `bridge -j fdb show` and sysfs, read afresh at most once a second.
Test tooling only: it is not part of portmap.

    pass_persist .1.3.6.1.2.1.17 /usr/bin/python3 bridge_mib.py BRIDGE
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

BRIDGE_MIB = (1, 3, 6, 1, 2, 1, 17)
LEARNED, SELF = 3, 4
Oid = tuple[int, ...]


def _mac_octets(mac: str) -> tuple[int, ...]:
    return tuple(int(part, 16) for part in mac.split(":"))


def bridge_ports(bridge: str) -> dict[str, tuple[int, int]]:
    """Member interface name -> (bridge port number, ifIndex)."""
    ports = {}
    for member in sorted(Path(f"/sys/class/net/{bridge}/brif").iterdir()):
        port_no = int((member / "port_no").read_text(), 16)
        if_index = int(Path(f"/sys/class/net/{member.name}/ifindex").read_text())
        ports[member.name] = (port_no, if_index)
    return ports


def read_table(bridge: str) -> dict[Oid, tuple[str, str]]:
    """Every instance this script serves: OID -> (net-snmp type, value)."""
    ports = bridge_ports(bridge)
    address = Path(f"/sys/class/net/{bridge}/address").read_text().strip()
    table: dict[Oid, tuple[str, str]] = {
        BRIDGE_MIB + (1, 1, 0): ("octet", " ".join(address.split(":"))),
        BRIDGE_MIB + (1, 2, 0): ("integer", str(len(ports))),
    }
    for port_no, if_index in ports.values():
        table[BRIDGE_MIB + (1, 4, 1, 1, port_no)] = ("integer", str(port_no))
        table[BRIDGE_MIB + (1, 4, 1, 2, port_no)] = ("integer", str(if_index))
    fdb = json.loads(subprocess.run(["bridge", "-j", "fdb", "show", "br", bridge], capture_output=True, text=True,
                                    check=True).stdout or "[]")
    for entry in fdb:
        flags = entry.get("flags", [])
        if "self" in flags or entry.get("ifname") not in ports or entry.get("vlan"):
            continue  # an interface's own address list, not the bridge's forwarding database
        mac = _mac_octets(entry["mac"])
        if mac[0] & 1:
            continue  # group addresses are not learned
        status = SELF if entry.get("state") == "permanent" else LEARNED
        port_no = ports[entry["ifname"]][0]
        table[BRIDGE_MIB + (4, 3, 1, 1) + mac] = ("octet", " ".join(entry["mac"].split(":")))
        table[BRIDGE_MIB + (4, 3, 1, 2) + mac] = ("integer", str(port_no))
        table[BRIDGE_MIB + (4, 3, 1, 3) + mac] = ("integer", str(status))
    return table


def parse(text: str) -> Oid:
    return tuple(int(part) for part in text.strip().strip(".").split(".") if part)


def answer(table: dict[Oid, tuple[str, str]], command: str, oid: Oid) -> str:
    if command == "get":
        found = oid if oid in table else None
    else:
        found = next((key for key in sorted(table) if key > oid), None)
    if found is None:
        return "NONE\n"
    kind, value = table[found]
    return f".{'.'.join(map(str, found))}\n{kind}\n{value}\n"


def main() -> None:
    bridge = sys.argv[1]
    table: dict[Oid, tuple[str, str]] = {}
    read_at = float("-inf")
    for line in sys.stdin:
        command = line.strip()
        if command == "PING":
            reply = "PONG\n"
        elif command in ("get", "getnext"):
            oid = parse(sys.stdin.readline())
            if time.monotonic() - read_at > 1.0:
                table, read_at = read_table(bridge), time.monotonic()
            reply = answer(table, command, oid)
        elif command == "set":
            sys.stdin.readline()
            sys.stdin.readline()
            reply = "not-writable\n"
        else:
            reply = "NONE\n"
        sys.stdout.write(reply)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
