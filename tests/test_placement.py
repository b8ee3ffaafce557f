"""Placing hosts on edge ports: uplinks by LLDP or by other devices' MACs, never by MAC count alone."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from portmap.core.placement import find_uplinks, place_hosts
from portmap.core.tables import ArpEntry, FdbEntry, Neighbor
from portmap.core.neighbourhood import DeviceTables, map_neighbourhood
from portmap.core.samples import InterfaceInfo
from portmap.engine.tables import read_once
from tests.helpers import free_udp_ports


def learned(mac: str, if_index: int | None, bridge_port: int = 1) -> FdbEntry:
    return FdbEntry(mac, 1, bridge_port, if_index, "learned")


DEVICE_MACS = {"aa:00:00:00:00:01": "core", "aa:00:00:00:00:02": "edge", "aa:00:00:00:00:09": "router"}
FDB = {
    "edge": [learned("52:54:00:00:00:01", 5), learned("52:54:00:00:00:02", 7),
             learned("52:54:00:00:00:03", 7), learned("52:54:00:00:00:04", 7),  # three PCs behind an unmanaged switch
             learned("aa:00:00:00:00:09", 49), learned("52:54:00:00:00:05", 49)],
    "core": [learned("52:54:00:00:00:01", 1), learned("52:54:00:00:00:05", 3), learned("aa:00:00:00:00:02", 1),
             learned("00:00:5e:00:01:0a", 3), learned("66:66:66:66:66:66", None, bridge_port=40)],
}
NEIGHBORS = {"core": [Neighbor("lldp", 1, 1, "edge", "aa:00:00:00:00:02", "Te1/1/1", "")]}


def test_uplinks_come_from_lldp_and_from_other_devices_macs():
    uplinks = find_uplinks(FDB, NEIGHBORS, DEVICE_MACS)
    assert uplinks == {
        ("core", 1): "LLDP neighbour edge Te1/1/1",
        ("edge", 49): "learns router's address aa:00:00:00:00:09",
    }


def test_the_router_end_of_a_link_is_found_by_its_own_mac():
    uplinks = find_uplinks(FDB, NEIGHBORS, DEVICE_MACS, interface_macs={"aa:00:00:00:00:09": ("router", 3)})
    assert uplinks[("router", 3)] == "its address aa:00:00:00:00:09 is learned by edge ifIndex 49"


def test_an_aggregate_is_an_uplink_when_one_member_is_and_the_host_lands_on_the_far_edge():
    # core's Po1 (ifIndex 1000) bundles 1 and 2; LLDP speaks on member 2; MACs are learned on Po1
    fdb = {"core": [learned("52:54:00:00:00:01", 1000)], "edge": [learned("52:54:00:00:00:01", 5)]}
    neighbors = {"core": [Neighbor("lldp", 2, 2, "edge", "aa:00:00:00:00:02", "Te1/1/2", "")]}
    uplinks = find_uplinks(fdb, neighbors, DEVICE_MACS, {"core": {1: 1000, 2: 1000}})
    assert set(uplinks) == {("core", 2), ("core", 1000), ("core", 1)}
    assert uplinks[("core", 1000)] == "aggregate of uplink member ifIndex 2: LLDP neighbour edge Te1/1/2"
    assert place_hosts(fdb, [], uplinks, DEVICE_MACS)["52:54:00:00:00:01"].port == ("edge", 5)
    without_aggregates = find_uplinks(fdb, neighbors, DEVICE_MACS)
    assert place_hosts(fdb, [], without_aggregates, DEVICE_MACS)["52:54:00:00:00:01"].port == ("core", 1000), \
        "the rule matters: without it core's Po1 looks like an access port with fewer MACs"


def test_hosts_land_on_edge_ports_and_none_vanish():
    uplinks = find_uplinks(FDB, NEIGHBORS, DEVICE_MACS)
    hosts = place_hosts(FDB, [ArpEntry("192.0.2.21", "52:54:00:00:00:01", 1)], uplinks, DEVICE_MACS)
    assert hosts["52:54:00:00:00:01"].port == ("edge", 5)  # not core's uplink 1
    assert hosts["52:54:00:00:00:01"].ips == ("192.0.2.21",)
    assert {hosts[f"52:54:00:00:00:0{n}"].port for n in (2, 3, 4)} == {("edge", 7)}  # many MACs, still an access port
    # Learned on the uplink of edge and on core's port 3 (no neighbour there): core 3 is its edge port.
    assert hosts["52:54:00:00:00:05"].port == ("core", 3)
    assert "00:00:5e:00:01:0a" not in hosts and "aa:00:00:00:00:09" not in hosts
    orphan = hosts["66:66:66:66:66:66"]
    assert orphan.port is None and "seen only on uplinks" in orphan.reason


async def test_every_demo_host_is_placed_on_its_access_port(demo_running):
    tables, failed = await read_once(list(demo_running.devices.values()))
    assert failed == []
    neighbourhood = map_neighbourhood(tables)
    placed = {mac: (h.port, h.ips) for mac, h in neighbourhood.hosts.items()}
    assert placed == {h.mac: ((h.switch, h.if_index), (h.ip,)) for h in demo_running.network.hosts}
    assert set(neighbourhood.uplinks) == {("core1", 101), ("core1", 102), ("core1", 104), ("acc1", 101), ("acc2", 101), ("rtr1", 1)}


async def test_find_by_mac_in_any_notation_by_ip_and_by_description(demo_running, tmp_path):
    import asyncio
    import json
    import sys

    from tests.helpers import REPO

    inventory = tmp_path / "demo.yaml"
    inventory.write_text("defaults: {snmp: {version: 2c, community: public}, timeout_s: 1}\ndevices:\n" + "".join(
        f"  - {{name: {d.name}, host: 127.0.0.1, port: {d.port}, role: {sorted(d.roles)[0]}}}\n" for d in demo_running.devices.values()
    ))

    async def find(*args: str) -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "portmap", "--inventory", str(inventory), "find", *args, cwd=REPO,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await process.communicate()
        return process.returncode, out.decode() + err.decode()

    for query in ("5254.0012.3456", "52-54-00-12-34-56", "10.0.0.21", "web1"):
        code, out = await find(query, "--json")
        assert code == 0, out
        (host,) = json.loads(out)["found"]
        assert (host["switch"], host["port"], host["mac"], host["ips"]) == ("acc1", "Gi1/0/5", "52:54:00:12:34:56", ["10.0.0.21"])
        assert {(s["switch"], s["port"], s["uplink"] is None) for s in host["evidence"]["seen_on"]} == {
            ("acc1", "Gi1/0/5", True), ("acc2", "Te1/1/1", False), ("core1", "Te1/1/1", False)}
    code, out = await find("10.0.0.21")
    assert code == 0 and out.startswith("52:54:00:12:34:56  10.0.0.21") and "-> acc1 Gi1/0/5" in out
    code, out = await find("192.0.2.99")
    assert (code, out) == (1, "192.0.2.99: in no ARP or ND table read (4 devices)\n")


async def test_find_says_not_found_only_of_what_is_not_there(demo_running, tmp_path):
    """An IP whose router was not read, a router's own MAC, a port name, an uplink's description,
    every device down, an empty query: each answered for what it is."""
    import asyncio
    import json
    import sys

    from tests.conftest import inventory_file
    from tests.helpers import REPO

    inventory = inventory_file(tmp_path / "demo.yaml", demo_running.devices.values())
    dead = inventory_file(tmp_path / "dead.yaml", [replace(d, port=p) for d, p in zip(demo_running.devices.values(), free_udp_ports(4))])

    async def find(*args: str, at: Path = inventory) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "portmap", "--inventory", str(at), "find", *args, cwd=REPO,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await process.communicate()
        return process.returncode, out.decode(), err.decode()

    code, out, _ = await find("10.0.0.21", "--device", "acc1")
    assert code == 1 and out == ("10.0.0.21: in no ARP or ND table read (1 device); the routers' ARP tables were not read "
                                 "(rtr1): add them with --device, or search by MAC\n"), out
    rtr1_lan_mac = demo_running.network.device("rtr1").ports[0].mac
    code, out, _ = await find(rtr1_lan_mac.replace(":", "-"))
    assert code == 0 and out.splitlines()[0] == f"{rtr1_lan_mac}: rtr1's own address (interface ge-0/0/0), an inventoried device, not a host"
    assert "  learned on core1 Te1/1/4" in out.splitlines(), out
    code, out, _ = await find("Gi1/0/5", "--json")
    ports = json.loads(out)["ports"]
    assert code == 0 and [(p["switch"], p["port"], p["hosts"]) for p in ports] == [
        ("acc1", "Gi1/0/5", ["52:54:00:12:34:56"]), ("acc2", "Gi1/0/5", [])]
    code, out, _ = await find("acc2 Gi1/0/5")
    assert (code, out) == (0, "acc2 Gi1/0/5: no host learned on it\n")
    code, out, _ = await find("uplink to ISP")
    assert (code, out) == (0, "rtr1 ge-0/0/1 (uplink to ISP): no host learned on it\n")
    code, out, _ = await find("acc1 Te1/1/1")
    assert code == 0 and out.startswith("acc1 Te1/1/1 (uplink to core1): uplink: LLDP neighbour core1 Te1/1/1"), out
    code, out, _ = await find("web1", at=dead)
    lines = out.splitlines()
    assert code == 1 and len(lines) == 5 and all(line.startswith("x ") for line in lines[:4]), out
    assert lines[4] == "web1: cannot say: no device answered"
    code, out, err = await find("  ")
    assert (code, out) == (2, "") and err.startswith("portmap: find: the query is empty"), err


def interface(if_index: int, name: str, mac: str) -> InterfaceInfo:
    return InterfaceInfo(if_index, name, name, "", 6, 10**9, mac, "up")


HOST = "52:54:00:00:00:21"
SW1_PORT_MAC = "02:00:00:00:01:05"


def own_mac_seen_upstream(lldp_on_core: bool, addresses: dict[int, tuple[str, ...]]) -> list[DeviceTables]:
    """sw1 sends frames with its port 5's own MAC (its CPU, a management interface); core learns
    that MAC on its port 1, the uplink to sw1. The host behind sw1 port 5 is learned there and upstream."""
    sw1 = DeviceTables("sw1", {5: interface(5, "Gi0/5", SW1_PORT_MAC), 49: interface(49, "Gi0/49", "02:00:00:00:01:31")},
                       [learned(HOST, 5)], addresses=addresses)
    core_neighbors = [Neighbor("lldp", 1, 1, "sw1", "02:00:00:00:01:00", "Gi0/49", "")] if lldp_on_core else []
    core = DeviceTables("core", {1: interface(1, "Te1/1/1", "02:00:00:00:02:01")},
                        [learned(SW1_PORT_MAC, 1), learned(HOST, 1)], neighbors=core_neighbors)
    return [sw1, core]


def test_a_bridge_members_own_mac_seen_upstream_leaves_its_port_an_edge_port():
    for lldp in (True, False):
        neighbourhood = map_neighbourhood(own_mac_seen_upstream(lldp, {}), {"sw1": ["switch"], "core": ["switch"]})
        assert ("sw1", 5) not in neighbourhood.uplinks and neighbourhood.hosts[HOST].port == ("sw1", 5), lldp


def test_a_layer3_interfaces_mac_makes_the_far_end_unless_lldp_shows_another_port_there():
    routed = {5: ("192.0.2.1",)}
    neighbourhood = map_neighbourhood(own_mac_seen_upstream(False, routed), {"sw1": ["switch"], "core": ["switch"]})
    assert neighbourhood.uplinks[("sw1", 5)] == f"its address {SW1_PORT_MAC} is learned by core ifIndex 1"
    neighbourhood = map_neighbourhood(own_mac_seen_upstream(True, routed), {"sw1": ["switch"], "core": ["switch"]})
    assert ("sw1", 5) not in neighbourhood.uplinks and neighbourhood.hosts[HOST].port == ("sw1", 5)
    assert neighbourhood.problems == (f"core ifIndex 1 learns sw1 ifIndex 5's address {SW1_PORT_MAC}, but LLDP there shows "
                                      "sw1 Gi0/49: sw1 ifIndex 5 is not taken for an uplink",)


def test_group_macs_and_own_entries_never_place_a_host_nor_make_an_uplink():
    fdb = {"edge": [learned("01:00:5e:00:00:fb", 5), learned("33:33:00:00:00:01", 6), learned("aa:00:00:00:00:01", 7),
                    FdbEntry("aa:00:00:00:00:09", 1, 8, 8, "self"), FdbEntry("aa:00:00:00:00:09", 1, 9, 9, "mgmt")]}
    uplinks = find_uplinks(fdb, {}, DEVICE_MACS)
    assert uplinks == {("edge", 7): "learns core's address aa:00:00:00:00:01"}
    assert place_hosts(fdb, [], uplinks, DEVICE_MACS) == {}


def test_a_port_lldp_shows_a_host_on_but_learning_a_devices_mac_is_an_uplink_and_said_to_be_in_conflict():
    fdb = {"edge": [learned("aa:00:00:00:00:01", 5)]}
    problems: list[str] = []
    uplinks = find_uplinks(fdb, {"edge": [Neighbor("lldp", 5, 5, "web1", "52:54:00:00:00:01", "eth0", "")]}, DEVICE_MACS,
                           problems=problems)
    assert uplinks == {("edge", 5): "learns core's address aa:00:00:00:00:01"}
    assert problems == ["edge ifIndex 5: LLDP shows web1 (not in the inventory) but it learns core's address aa:00:00:00:00:01: "
                        "taken for an uplink"]
