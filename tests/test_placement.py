"""Placing hosts on edge ports: uplinks by LLDP or by other devices' MACs, never by MAC count alone."""

from __future__ import annotations

from portmap.core.placement import find_uplinks, place_hosts
from portmap.core.tables import ArpEntry, FdbEntry, Neighbor
from portmap.neighbourhood import DeviceTables, map_neighbourhood, read_all_tables
from portmap.snmp.session import SnmpClient


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
    client = SnmpClient()
    try:
        tables = [t for t in await read_all_tables(client, list(demo_running.devices.values())) if isinstance(t, DeviceTables)]
    finally:
        client.close()
    neighbourhood = map_neighbourhood(tables)
    placed = {mac: (h.port, h.ips) for mac, h in neighbourhood.hosts.items()}
    assert placed == {h.mac: ((h.switch, h.if_index), (h.ip,)) for h in demo_running.network.hosts}
    assert set(neighbourhood.uplinks) == {("core1", 101), ("core1", 102), ("core1", 104), ("acc1", 101), ("acc2", 101), ("rtr1", 1)}
