"""Reading forwarding tables, ARP and LLDP: against the demo agents, and the ID decoding rules."""

from __future__ import annotations

from dataclasses import replace

from portmap.core.samples import InterfaceInfo
from portmap.engine.tables import read_once
from portmap.snmp.lldp import CHASSIS_MAC, CHASSIS_NETWORK_ADDRESS, PORT_ALIAS, PORT_LOCAL, PORT_MAC, PORT_NAME, decode_id, local_if_index


async def test_tables_of_the_demo_network(demo_running):
    network = demo_running.network
    devices = list(demo_running.devices.values())
    # rtr1 listed once more as a switch: it answers nothing for BRIDGE-MIB, which must be no error.
    devices.append(replace(devices[3], name="rtr1-as-switch", roles=frozenset({"switch"})))
    read, failed = await read_once(devices)
    results = {r.device: r for r in read}
    assert failed == [] and set(results) == {"core1", "acc1", "acc2", "rtr1", "rtr1-as-switch"}
    acc1 = results["acc1"]
    learned = {e.mac: (e.if_index, e.vlan) for e in acc1.fdb if e.status == "learned"}
    assert learned["52:54:00:12:34:56"] == (5, 1)        # web1 on its access port
    assert learned["3c:52:82:00:00:01"] == (101, 1)      # pc1, behind the uplink
    (own,) = [e for e in acc1.fdb if e.status == "self"]
    assert own.if_index is None                          # bridge port 0: no interface, and no crash
    assert {(e.ip, e.mac, e.if_index) for e in results["rtr1"].arp} == {(h.ip, h.mac, 1) for h in network.hosts}
    assert results["rtr1-as-switch"].fdb == []
    assert [(n.local_if_index, n.remote_sysname, n.remote_port, n.remote_chassis_id) for n in acc1.neighbors] == [
        (101, "core1", "Te1/1/1", "02:00:5e:01:00:00")
    ]


def interfaces() -> dict[int, InterfaceInfo]:
    return {
        10101: InterfaceInfo(10101, "Gi1/0/1", "GigabitEthernet1/0/1", "to core", 6, 10**9, "00:11:22:33:44:01", "up"),
        10102: InterfaceInfo(10102, "Gi1/0/2", "GigabitEthernet1/0/2", "", 6, 10**9, "00:11:22:33:44:02", "up"),
    }


def test_lldp_local_port_numbers_are_matched_to_interfaces_not_assumed_equal():
    ifs = interfaces()
    assert local_if_index(1, PORT_NAME, b"Gi1/0/1", b"", ifs) == 10101
    assert local_if_index(2, PORT_NAME, b"GigabitEthernet1/0/2", b"", ifs) == 10102
    assert local_if_index(7, PORT_MAC, bytes.fromhex("001122334402"), b"", ifs) == 10102
    assert local_if_index(3, PORT_ALIAS, b"to core", b"", ifs) == 10101
    assert local_if_index(9, PORT_LOCAL, b"10102", b"", ifs) == 10102
    assert local_if_index(4, PORT_LOCAL, b"4", b"GigabitEthernet1/0/1", ifs) == 10101
    assert local_if_index(5, PORT_NAME, b"Te9/9", b"", ifs) is None
    assert local_if_index(6, PORT_LOCAL, "²".encode(), b"", ifs) is None, "a digit int() refuses is no port number"


def test_chassis_and_port_ids_are_decoded_by_subtype():
    assert decode_id(CHASSIS_MAC, bytes.fromhex("02005e010000"), CHASSIS_MAC, CHASSIS_NETWORK_ADDRESS) == "02:00:5e:01:00:00"
    assert decode_id(CHASSIS_NETWORK_ADDRESS, bytes([1, 192, 0, 2, 7]), CHASSIS_MAC, CHASSIS_NETWORK_ADDRESS) == "192.0.2.7"
    assert decode_id(PORT_NAME, b"bridge1/ether2", PORT_MAC, 4) == "bridge1/ether2"
    assert decode_id(7, b"\x01\x02", PORT_MAC, 4) == "01:02"
