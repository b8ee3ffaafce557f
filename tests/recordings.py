"""Real-device recordings served by snmpsim, and the few made-up recordings for cases they lack.

The recordings stay in ../shared (their licences ask that they stay separate test data);
snmpsim serves each file under the community equal to its name.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from portmap.errors import SnmpError
from portmap.snmp import oids
from portmap.snmp.session import SnmpClient
from tests.helpers import SHARED, v2c_device

SNMPREC = SHARED / "snmprec"
LIBRENMS = SHARED / "librenms"
START_TIMEOUT_S = 120.0
"""snmpsim indexes every recording on its first start: about 15 s on this project's machines."""


@dataclass(frozen=True)
class Recordings:
    port: int
    made_up: Path


def snmpsim_command() -> Path:
    return Path(sys.executable).parent / "snmpsim-command-responder"


def write_snmprec(path: Path, rows: list[tuple[str, str, str]]) -> None:
    """rows of (OID, tag, value), written in the numeric OID order snmpsim answers GETNEXT by."""
    ordered = sorted(rows, key=lambda row: tuple(int(part) for part in row[0].split(".")))
    path.write_text("".join(f"{oid}|{tag}|{value}\n" for oid, tag, value in ordered), encoding="latin-1")


async def wait_until_serving(port: int, community: str, process: subprocess.Popen[bytes], log: Path) -> None:
    client = SnmpClient()
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:
            try:
                await client.session(v2c_device("snmpsim", port, community, timeout_s=0.5)).get([oids.sysName.instance(0)])
                return
            except SnmpError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"snmpsim did not start serving: {log.read_text()[-2000:]}") from None
    finally:
        client.close()


def start_snmpsim(data_dirs: list[Path], cache_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [str(snmpsim_command()), *(f"--data-dir={d}" for d in data_dirs), f"--cache-dir={cache_dir}",
               f"--agent-udpv4-endpoint=127.0.0.1:{port}"]
    if os.geteuid() == 0:  # snmpsim refuses to keep root; root again keeps the pyenv interpreter readable
        command += ["--process-user=root", "--process-group=root"]
    with log.open("wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


IF_DESCR, IF_NAME = "1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.31.1.1.1.1"
IF_ADMIN_STATUS, IF_OPER_STATUS, IF_HC_IN_OCTETS = "1.3.6.1.2.1.2.2.1.7", "1.3.6.1.2.1.2.2.1.8", "1.3.6.1.2.1.31.1.1.1.6"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
BASE_PORT_IFINDEX = "1.3.6.1.2.1.17.1.4.1.2"
TP_FDB_PORT, TP_FDB_STATUS = "1.3.6.1.2.1.17.4.3.1.2", "1.3.6.1.2.1.17.4.3.1.3"
Q_FDB_PORT, Q_FDB_STATUS = "1.3.6.1.2.1.17.7.1.2.2.1.2", "1.3.6.1.2.1.17.7.1.2.2.1.3"
VTP_VLAN_STATE = "1.3.6.1.4.1.9.9.46.1.3.1.1.2.1"
LLDP_LOC_PORT_ID_SUBTYPE, LLDP_LOC_PORT_ID = "1.0.8802.1.1.2.1.3.7.1.2", "1.0.8802.1.1.2.1.3.7.1.3"
LLDP_REM = "1.0.8802.1.1.2.1.4.1.1"

CISCO_HOST_VLAN1, CISCO_HOST_VLAN20, CISCO_HOST_VLAN30 = "00:50:56:00:01:01", "00:50:56:00:20:02", "00:50:56:00:30:03"
ORPHAN_HOST, ORPHAN_PLACED_HOST, STRANGER_CHASSIS = "00:50:56:00:09:09", "00:50:56:00:01:0a", "02:aa:bb:cc:dd:ee"


def _mac_index(mac: str) -> str:
    return ".".join(str(int(part, 16)) for part in mac.split(":"))


def _interfaces(names: dict[int, str]) -> list[tuple[str, str, str]]:
    rows = [(f"{IF_DESCR}.{index}", "4", name) for index, name in names.items()]
    return rows + [(f"{IF_NAME}.{index}", "4", name) for index, name in names.items()]


def write_made_up(folder: Path) -> None:
    """Cases no recording here shows, each a device of its own:
    - ciscovlan: BRIDGE-MIB only per VLAN (community@vlan), a bridge port that means another
      interface in each VLAN, and a suspended VLAN (30) whose table must not be read;
    - orphanport: a learned MAC on a bridge port with no ifIndex, and an LLDP neighbour
      ("stranger") that is not in any inventory;
    - nobridge: a switch that answers nothing for BRIDGE-MIB or Q-BRIDGE-MIB;
    - offports: ports administratively down, one "down", one "lowerLayerDown" (as some agents say).
    """
    folder.mkdir(parents=True, exist_ok=True)
    cisco_ifs = {10101: "Gi1/0/1", 10102: "Gi1/0/2", 10103: "Gi1/0/3"}
    write_snmprec(folder / "ciscovlan.snmprec", [
        (SYS_NAME, "4", "ciscovlan"), *_interfaces(cisco_ifs),
        (f"{VTP_VLAN_STATE}.1", "2", "1"), (f"{VTP_VLAN_STATE}.20", "2", "1"), (f"{VTP_VLAN_STATE}.30", "2", "2"),
        (f"{VTP_VLAN_STATE}.1002", "2", "1"),
    ])
    for vlan, port_if, mac in ((1, 10101, CISCO_HOST_VLAN1), (20, 10102, CISCO_HOST_VLAN20), (30, 10103, CISCO_HOST_VLAN30)):
        write_snmprec(folder / f"ciscovlan@{vlan}.snmprec", [
            (f"{BASE_PORT_IFINDEX}.1", "2", str(port_if)),
            (f"{TP_FDB_PORT}.{_mac_index(mac)}", "2", "1"), (f"{TP_FDB_STATUS}.{_mac_index(mac)}", "2", "3"),
        ])
    write_snmprec(folder / "orphanport.snmprec", [
        (SYS_NAME, "4", "orphanport"), *_interfaces({1: "port1", 2: "port2"}),
        (f"{BASE_PORT_IFINDEX}.1", "2", "1"), (f"{BASE_PORT_IFINDEX}.2", "2", "2"),
        (f"{Q_FDB_PORT}.1.{_mac_index(ORPHAN_PLACED_HOST)}", "2", "1"), (f"{Q_FDB_STATUS}.1.{_mac_index(ORPHAN_PLACED_HOST)}", "2", "3"),
        (f"{Q_FDB_PORT}.1.{_mac_index(ORPHAN_HOST)}", "2", "9"), (f"{Q_FDB_STATUS}.1.{_mac_index(ORPHAN_HOST)}", "2", "3"),
        (f"{LLDP_LOC_PORT_ID_SUBTYPE}.1", "2", "5"), (f"{LLDP_LOC_PORT_ID}.1", "4", "port1"),
        (f"{LLDP_REM}.4.0.1.1", "2", "4"), (f"{LLDP_REM}.5.0.1.1", "4x", STRANGER_CHASSIS.replace(":", "")),
        (f"{LLDP_REM}.6.0.1.1", "2", "5"), (f"{LLDP_REM}.7.0.1.1", "4", "eth0"), (f"{LLDP_REM}.9.0.1.1", "4", "stranger"),
    ])
    write_snmprec(folder / "nobridge.snmprec", [(SYS_NAME, "4", "nobridge"), *_interfaces({1: "eth0", 2: "eth1"})])
    write_snmprec(folder / "offports.snmprec", [
        ("1.3.6.1.2.1.1.3.0", "67", "12345"), (SYS_NAME, "4", "offports"), *_interfaces({1: "ge1", 2: "ge2", 3: "ge3"}),
        *((f"{IF_ADMIN_STATUS}.{index}", "2", admin) for index, admin in ((1, "1"), (2, "2"), (3, "2"))),
        *((f"{IF_OPER_STATUS}.{index}", "2", oper) for index, oper in ((1, "1"), (2, "2"), (3, "7"))),
        *((f"{IF_HC_IN_OCTETS}.{index}", "70", "1000") for index in (1, 2, 3)),
    ])
