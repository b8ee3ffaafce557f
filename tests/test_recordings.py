"""Real devices no one here wrote: portmap's reading of each recording against a mature peer's.

../shared/snmprec: what Netdisco's SNMP::Info read from 7 devices. ../shared/librenms: what
LibreNMS discovered from 19 more. Both served by snmpsim. Sets are compared device by device;
every difference the peers' own rules explain is written here with its reason, and any other
difference fails.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from portmap.present.tables import Inventoried, tables_json
from portmap.core.neighbourhood import DeviceTables
from portmap.engine.tables import read_tables
from portmap.snmp.ifmib import read_counters, read_plan
from portmap.snmp.session import SnmpClient
from tests.helpers import REPO, report, v2c_device
from tests.recordings import (
    CISCO_HOST_VLAN1, CISCO_HOST_VLAN20, CISCO_HOST_VLAN30, LIBRENMS, ORPHAN_HOST, ORPHAN_PLACED_HOST, SNMPREC,
    STRANGER_CHASSIS, Recordings,
)

CISCO_OS_GROUP = {"ios", "iosxe", "nxos", "iosxr"}
"""LibreNMS runs CDP discovery only for these (FORMAT.md 5.3)."""


def names_in(folder: Path, suffix: str) -> list[str]:
    return sorted(p.name[: -len(suffix)] for p in folder.glob(f"*{suffix}")) or ["(recordings absent)"]


async def read_recording(recordings: Recordings, community: str) -> dict:
    """`portmap tables --json` of one recording, as the command prints it for one device."""
    device = replace(v2c_device(community, recordings.port, community, timeout_s=2.0, retries=1),
                     roles=frozenset({"switch", "router"}))
    client = SnmpClient()
    try:
        tables = await read_tables(client, device)
    finally:
        client.close()
    assert isinstance(tables, DeviceTables), f"{community}: {tables}"
    return tables_json(tables, Inventoried((), [tables]))


def compare(label: str, expected: set, ours: set, explained: Callable[[object], str | None] = lambda row: None,
            extra_explained: Callable[[object], str | None] = lambda row: None) -> tuple[str, list[str]]:
    """'matched/expected' for the report, and every difference no written reason explains."""
    unexplained = [f"{label}: peer has {row}, portmap not" for row in sorted(expected - ours, key=str) if not explained(row)]
    unexplained += [f"{label}: portmap has {row}, peer not" for row in sorted(ours - expected, key=str) if not extra_explained(row)]
    return f"{label} {len(expected & ours)}/{len(expected)}" + (f" (+{len(ours - expected)})" if ours - expected else ""), unexplained


@pytest.mark.parametrize("name", names_in(SNMPREC / "expected", ".json"))
async def test_snmp_info_reads_the_same_as_portmap(recordings, name):
    peer = json.loads((SNMPREC / "expected" / f"{name}.json").read_text())
    ours = await read_recording(recordings, name)
    by_index = {i["if_index"]: i for i in ours["interfaces"]}

    def interface_explained(row: tuple[int, str]) -> str | None:
        index, peer_name = row
        mine = by_index.get(index)
        if mine is None:
            return None
        if peer_name is None:
            return "SNMP::Info gives no i_name for this interface (its HP class names only 'Port N' ports)"
        if peer_name == mine["alias"]:
            return "SNMP::Info's i_name is ifAlias where one is set"
        if peer["class"].endswith("::HP") and peer_name == f"Port {mine['if_descr']}":
            return "SNMP::Info's HP class makes up 'Port N' from ifDescr N; the device's ifName is N"
        return None

    # ProCurve lists some CDP neighbours (address type 65535: none) whose local port SNMP::Info's HP class
    # cannot tie to an interface; the same neighbours by LLDP are on the ifIndex we give (cdpCacheIfIndex).
    peer_neighbors = {(n["local_if_index"], n["remote_id"]) for n in peer["neighbors"]}

    def neighbor_explained(row: tuple[int | None, str]) -> str | None:
        local, remote = row
        if local is None and any(r == remote and i is not None for i, r in peer_neighbors):
            return "the peer's CDP row has no local port; its LLDP row for the same neighbour matches ours"
        return None

    lines, problems = [], []
    for label, expected, mine, why in (
        ("interfaces", {(i["if_index"], i["if_name"]) for i in peer["interfaces"]},
         {(i["if_index"], i["if_name"]) for i in ours["interfaces"]}, interface_explained),
        ("fdb", {(e["mac"], e["if_index"]) for e in peer["fdb"] if e["status"] == "learned"},
         {(e["mac"], e["if_index"]) for e in ours["fdb"] if e["status"] in ("learned", "unknown") and e["bridge_port"]}, None),
        ("arp", {(e["ip"], e["mac"]) for e in peer["arp"]}, {(e["ip"], e["mac"]) for e in ours["arp"]}, None),
        ("neighbours", peer_neighbors,
         {(n["local_if_index"], n["remote_chassis_id"] if n["protocol"] == "lldp" else n["remote_sysname"]) for n in ours["neighbors"]},
         neighbor_explained),
    ):
        if label == "interfaces":
            # our names are the device's ifName: the extra rows are the same ifIndexes, named as the device names them
            line, found = compare(label, expected, mine, why, lambda row: None if row[0] not in {r[0] for r in expected} else "same ifIndex")
        else:
            line, found = compare(label, expected, mine, why or (lambda row: None))
        lines.append(line)
        problems += found
    assert {i["if_index"] for i in peer["interfaces"]} == set(by_index)
    assert all(by_index[i["if_index"]]["if_descr"] == i["if_descr"] for i in peer["interfaces"])
    report(f"SNMP::Info {name}: " + ", ".join(lines))
    assert not problems, "\n".join(problems)


def librenms_ports(expected: dict) -> list[dict]:
    poller = expected["ports"]["poller"]
    return (expected["ports"]["discovery"] if poller == "matches discovery" else poller)["ports"]


@pytest.mark.parametrize("name", names_in(LIBRENMS / "data", ".json"))
async def test_librenms_discovers_the_same_as_portmap(recordings, name):
    expected = json.loads((LIBRENMS / "data" / f"{name}.json").read_text())
    manifest = {d["name"]: d for d in json.loads((LIBRENMS / "MANIFEST.json").read_text())["devices"]}[name]
    ours = await read_recording(recordings, name)
    ports = librenms_ports(expected)
    lines, problems = [], []

    # LibreNMS filters ports (notPresent, bad ifType/ifDescr, FORMAT.md 5.1); portmap shows every
    # interface, so its extra ports are listed, not failed.
    line, found = compare("ports", {(p["ifIndex"], p["ifName"]) for p in ports},
                          {(i["if_index"], i["if_name"]) for i in ours["interfaces"]}, extra_explained=lambda row: "not filtered")
    lines.append(line)
    problems += found

    # Links: the local port is given by (ifAlias, ifDescr, ifName) of an expected port.
    if "discovery-protocols" in manifest["expected_modules"]:
        port_index = {(p["ifAlias"], p["ifDescr"], p["ifName"]): p["ifIndex"] for p in ports}
        links = expected["discovery-protocols"]["discovery"]["links"]
        want = {(link["protocol"], port_index.get((link["ifAlias"], link["ifDescr"], link["ifName"])), link["remote_hostname"])
                for link in links}
        have = {(n["protocol"], n["local_if_index"], n["remote_sysname"] or n["platform"] or "") for n in ours["neighbors"]}
        lldp_read = any(n["protocol"] == "lldp" for n in ours["neighbors"])

        def missing_explained(row: tuple) -> str | None:
            if manifest["os"] == "jetstream" and not lldp_read:
                return "TP-Link answers LLDP only in its private MIB, which LibreNMS reads with vendor code"
            return None

        def extra_explained(row: tuple) -> str | None:
            protocol, _, hostname = row
            if protocol == "cdp" and manifest["os"] not in CISCO_OS_GROUP:
                return "LibreNMS runs CDP discovery only for Cisco's OS group"
            if protocol == "lldp" and not hostname:
                return "neither lldpRemSysName nor lldpRemSysDesc: LibreNMS keeps no link without a name"
            return None

        line, found = compare("links", want, have, missing_explained, extra_explained)
        lines.append(line)
        problems += found
    else:
        lines.append(f"links {len(ours['neighbors'])} (LibreNMS saved none for this device)")

    if "fdb-table" in manifest["expected_modules"]:
        line, found = compare(
            "fdb", {(e["mac_address"], e["ifIndex"], e["vlan_vlan"]) for e in expected["fdb-table"]["discovery"]["ports_fdb"]},
            {(e["mac"].replace(":", ""), e["if_index"], e["vlan"]) for e in ours["fdb"] if e["bridge_port"]},
        )
        lines.append(line)
        problems += found
    if "arp-table" in manifest["expected_modules"]:
        known_ports = {p["ifIndex"] for p in ports}
        line, found = compare(
            "arp", {(e["ipv4_address"], e["mac_address"]) for e in expected["arp-table"]["discovery"]["ipv4_mac"]},
            {(e["ip"], e["mac"].replace(":", "")) for e in ours["arp"] if e["if_index"] in known_ports and ":" not in e["ip"]},
        )
        lines.append(line)
        problems += found
    report(f"LibreNMS {name}: " + ", ".join(lines) + (f"; portmap notes: {'; '.join(ours['problems'])}" if ours["problems"] else ""))
    assert not problems, "\n".join(problems)


async def test_cisco_bridge_tables_are_read_per_vlan_with_each_vlans_port_map(recordings):
    ours = await read_recording(recordings, "ciscovlan")
    assert ours["fdb_source"] == "bridge per VLAN"
    learned = {(e["mac"], e["vlan"], e["bridge_port"], e["if_index"]) for e in ours["fdb"]}
    # bridge port 1 is Gi1/0/1 in VLAN 1 and Gi1/0/2 in VLAN 20; VLAN 30 is suspended and not read
    assert learned == {(CISCO_HOST_VLAN1, 1, 1, 10101), (CISCO_HOST_VLAN20, 20, 1, 10102)}
    assert CISCO_HOST_VLAN30 not in {e["mac"] for e in ours["fdb"]}
    assert ours["problems"] == []


async def test_port_channel_members_are_read_from_the_lag_mib(recordings):
    """Nexus 5000: Eth1/21 and Eth1/22 (LLDP/CDP to the peer 5548) are members of port-channel1."""
    ours = await read_recording(recordings, "cisco-n5000")
    members = {i["if_name"]: i["aggregate"] for i in ours["interfaces"] if i["aggregate"] is not None}
    names = {i["if_index"]: i["if_name"] for i in ours["interfaces"]}
    assert names[members["Ethernet1/21"]] == names[members["Ethernet1/22"]] == "port-channel1"
    assert len(members) == 11 and "port-channel1" not in members


async def run_portmap(inventory: Path, *args: str) -> tuple[int, str]:
    """Exit code and standard output; standard error must hold no traceback."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "portmap", "--inventory", str(inventory), *args, cwd=REPO,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    assert b"Traceback" not in err, err.decode()
    return process.returncode or 0, out.decode()


async def test_unmapped_bridge_port_silent_bridge_mib_and_a_stranger_are_reported(recordings, tmp_path):
    inventory = tmp_path / "made-up.yaml"
    inventory.write_text("defaults: {timeout_s: 2, retries: 1}\ndevices:\n" + "".join(
        f"  - {{name: {name}, host: 127.0.0.1, port: {recordings.port}, role: switch, snmp: {{version: 2c, community: {name}}}}}\n"
        for name in ("orphanport", "nobridge", "ciscovlan")))

    code, out = await run_portmap(inventory, "tables", "--json")
    assert code == 0, out
    devices = {d["device"]: d for d in json.loads(out)["devices"]}
    orphan = devices["orphanport"]
    assert {(e["mac"], e["bridge_port"], e["if_index"], e["if_name"]) for e in orphan["fdb"]} == {
        (ORPHAN_PLACED_HOST, 1, 1, "port1"), (ORPHAN_HOST, 9, None, None)}
    assert any("bridge port(s) 9" in p for p in orphan["problems"])
    (stranger,) = orphan["neighbors"]
    assert (stranger["remote_sysname"], stranger["remote_chassis_id"], stranger["local_if_name"], stranger["inventoried"]) == (
        "stranger", STRANGER_CHASSIS, "port1", False)
    assert devices["nobridge"]["fdb"] == [] and any("no forwarding entries" in p for p in devices["nobridge"]["problems"])

    code, out = await run_portmap(inventory, "tables")
    assert code == 0 and "-> stranger eth0  (not in the inventory)" in out and "(bridge port 9, no interface)" in out, out

    # The host behind the stranger stays on the access port; the one on the unmapped bridge port is listed, unplaced.
    code, out = await run_portmap(inventory, "find", ORPHAN_PLACED_HOST, "--json")
    assert code == 0, out
    (host,) = json.loads(out)["found"]
    assert (host["switch"], host["port"]) == ("orphanport", "port1")
    code, out = await run_portmap(inventory, "find", ORPHAN_HOST, "--json")
    (host,) = json.loads(out)["found"]
    assert host["switch"] is None and host["evidence"]["seen_on"][0]["uplink"] == "bridge port without an interface"

    code, out = await run_portmap(inventory, "map", "--format", "json")
    graph = json.loads(out)
    assert code == 0 and {n["id"] for n in graph["nodes"]} == {"orphanport", "nobridge", "ciscovlan"} and graph["links"] == []



async def test_ports_switched_off_are_asked_their_status_whatever_status_the_agent_gives_them(recordings):
    """An administratively down port is asked its status only, and that status is not taken for
    a change at every read where the agent calls it lowerLayerDown rather than down."""
    client = SnmpClient()
    session = client.session(v2c_device("offports", recordings.port, "offports", timeout_s=2.0, retries=1))
    try:
        plan = await read_plan(session)
        await read_counters(session, plan)
        second = await read_counters(session, plan)
    finally:
        client.close()
    assert dict(plan.switched_off) == {2: 2, 3: 7}
    assert dict(plan.ports)[2] == dict(plan.ports)[3] == ("oper_status",) and len(dict(plan.ports)[1]) > 1
    assert second.ports[3].oper_status == "lowerLayerDown" and not second.ports[3].counters
    assert second.ports[1].counters["in_octets"].value == 1000
