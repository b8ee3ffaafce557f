"""The demo network serves forwarding tables, ARP and LLDP that agree with its cabling."""

from __future__ import annotations

from portmap.snmp import oids
from portmap.snmp.session import SnmpClient

LEARNED, SELF = 3, 4


def mac(index: tuple[int, ...]) -> str:
    return ":".join(f"{octet:02x}" for octet in index)


async def test_fdb_arp_and_lldp_agree_with_the_cabling(demo_running):
    network = demo_running.network
    client = SnmpClient()
    devices = {name: client.session(d) for name, d in demo_running.devices.items()}
    try:
        bridge = {}
        for name in ("core1", "acc1", "acc2"):
            table = await devices[name].walk([oids.dot1dBasePortIfIndex.oid, oids.dot1dTpFdbPort.oid, oids.dot1dTpFdbStatus.oid,
                                              oids.dot1qTpFdbPort.oid])
            port_if = {index[0]: value for index, value in table[oids.dot1dBasePortIfIndex.oid].items()}
            fdb = {mac(index): (port_if.get(port), table[oids.dot1dTpFdbStatus.oid][index])
                   for index, port in table[oids.dot1dTpFdbPort.oid].items()}
            qfdb = {mac(index[1:]): port_if.get(port) for index, port in table[oids.dot1qTpFdbPort.oid].items()}
            assert {m: p for m, (p, _) in fdb.items()} == qfdb, f"{name}: Q-BRIDGE and BRIDGE disagree"
            bridge[name] = (port_if, fdb)
        arp = await devices["rtr1"].walk([oids.ipNetToPhysicalPhysAddress.oid, oids.ipNetToMediaPhysAddress.oid])
        lldp = {name: await devices[name].walk([oids.lldpRemSysName.oid, oids.lldpRemPortId.oid]) for name in devices}
    finally:
        client.close()

    web1, pc1 = network.hosts[0], next(h for h in network.hosts if h.name == "pc1")
    # A host is learned on its access port at the edge, and on the uplink towards it elsewhere.
    assert bridge["acc1"][1][web1.mac] == (5, LEARNED)
    assert bridge["acc1"][1][pc1.mac] == (101, LEARNED)
    assert bridge["core1"][1][web1.mac] == (101, LEARNED)
    assert bridge["core1"][1][pc1.mac] == (102, LEARNED)
    assert bridge["acc1"][1][network.device("acc1").base_mac] == (None, SELF)
    # Bridge ports are not ifIndexes: core1's bridge port 1 is Te1/1/1, ifIndex 101.
    assert bridge["core1"][0][1] == 101
    # The router's ARP cache maps every host's IP to its MAC on the LAN interface.
    physical = {(index[0], ".".join(map(str, index[3:]))): mac(tuple(value)) for index, value in arp[oids.ipNetToPhysicalPhysAddress.oid].items()}
    media = {(index[0], ".".join(map(str, index[1:]))): mac(tuple(value)) for index, value in arp[oids.ipNetToMediaPhysAddress.oid].items()}
    assert physical == media == {(1, h.ip): h.mac for h in network.hosts}
    # LLDP shows each cable from both ends.
    seen = {(name, index[1], value.decode(), table[oids.lldpRemPortId.oid][index].decode())
            for name, table in lldp.items() for index, value in table[oids.lldpRemSysName.oid].items()}
    assert seen == {
        ("core1", 101, "acc1", "Te1/1/1"), ("acc1", 101, "core1", "Te1/1/1"),
        ("core1", 102, "acc2", "Te1/1/1"), ("acc2", 101, "core1", "Te1/1/2"),
        ("core1", 104, "rtr1", "ge-0/0/0"), ("rtr1", 1, "core1", "Te1/1/4"),
    }
