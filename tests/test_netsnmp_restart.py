"""A real snmpd changing mid-run: stopped and started again (reported while away, no false spike on
return), or given a new interface (polled from the next read of its interface list)."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from portmap.core.rates import RateStatus
from portmap.demo.inventory import demo_inventory
from portmap.engine.poller import Engine
from portmap.snmp.ifmib import read_counters, read_interfaces, read_plan
from portmap.snmp.session import SnmpClient
from tests.helpers import LAB, v2c_device

pytestmark = LAB

COMMUNITY = "pm-restart-community"


async def test_snmpd_restart_is_reported_then_followed_without_a_spike(lab, quiet_scenario):
    switch = lab.namespace("sw")
    host = lab.namespace("h1")
    lab.cable(switch, "swp1", "192.0.2.1/24", host, "eth0", "192.0.2.10/24")
    lab.management_link(switch, "198.51.100.1/30", "198.51.100.2/30")
    agent = await asyncio.to_thread(lab.snmpd, switch, COMMUNITY, "198.51.100.2", "198.51.100.0/30")
    sender = lab.send_udp(host, "192.0.2.1", 2000, 30.0, 200)
    client = SnmpClient()
    labsw = replace(v2c_device("labsw", 161, COMMUNITY, timeout_s=0.5, retries=1), host="198.51.100.2")
    engine = Engine([labsw, demo_inventory(quiet_scenario.network).devices[1]], client)
    snapshots = []
    try:
        for step in range(6):
            if step == 3:
                agent.terminate()
                await asyncio.to_thread(agent.wait, 10)
            if step == 4:
                agent = await asyncio.to_thread(lab.snmpd, switch, COMMUNITY, "198.51.100.2", "198.51.100.0/30")
            snapshots.append(await engine.poll())
            await asyncio.sleep(2.0)
    finally:
        client.close()
        sender.terminate()

    def swp1(snapshot):
        return next(p for p in snapshot.ports if p.rates.device == "labsw" and snapshot.interfaces[("labsw", p.rates.if_index)].if_name == "swp1")

    assert swp1(snapshots[2]).rates.status is RateStatus.OK
    assert swp1(snapshots[2]).rates.inbound.pps == pytest.approx(2000, rel=0.15)
    away = snapshots[3]
    assert [d.name for d in away.failed] == ["labsw"] and away.failed[0].error_kind == "SnmpTimeout"
    assert {p.rates.device for p in away.ports} == {"acc1"}, "the other device keeps its fresh data"
    back = snapshots[4]
    assert not back.failed
    assert swp1(back).rates.status is RateStatus.DISCONTINUITY and "agent restarted" in swp1(back).rates.note
    assert swp1(snapshots[5]).rates.status is RateStatus.OK
    assert swp1(snapshots[5]).rates.inbound.pps == pytest.approx(2000, rel=0.15)
    assert not any(p.flagged for s in snapshots for p in s.ports)


async def test_snmpv1_reads_the_same_interfaces_with_32_bit_counters(lab):
    switch = lab.namespace("sw")
    lab.cable(switch, "swp1", "192.0.2.1/24", lab.namespace("h1"), "eth0", "192.0.2.10/24")
    lab.management_link(switch, "198.51.100.5/30", "198.51.100.6/30")
    await asyncio.to_thread(lab.snmpd, switch, COMMUNITY, "198.51.100.6", "198.51.100.4/30")
    v2 = replace(v2c_device("v2", 161, COMMUNITY), host="198.51.100.6")
    v1 = replace(v2, name="v1", snmp=replace(v2.snmp, version="1"))
    client = SnmpClient()
    try:
        interfaces_v2, plan_v2 = await read_interfaces(client.session(v2)), await read_plan(client.session(v2))
        interfaces_v1, plan_v1 = await read_interfaces(client.session(v1)), await read_plan(client.session(v1))
        sample_v1 = await read_counters(client.session(v1), plan_v1)
    finally:
        client.close()
    assert {i: x.if_name for i, x in interfaces_v1.items()} == {i: x.if_name for i, x in interfaces_v2.items()}
    assert plan_v2.hc and not plan_v1.hc, "SNMPv1 has no Counter64: the 32-bit columns stand in"
    assert set(sample_v1.ports) == set(interfaces_v1)
    assert all(c.bits == 32 for p in sample_v1.ports.values() for c in p.counters.values())


async def test_an_interface_added_mid_run_is_polled_without_a_false_rate(lab):
    """The counter poll asks known instances: a new interface must make it read the list again."""
    switch = lab.namespace("sw")
    lab.cable(switch, "swp1", "192.0.2.1/24", lab.namespace("h1"), "eth0", "192.0.2.10/24")
    lab.management_link(switch, "198.51.100.9/30", "198.51.100.10/30")
    await asyncio.to_thread(lab.snmpd, switch, COMMUNITY, "198.51.100.10", "198.51.100.8/30")
    client = SnmpClient()
    engine = Engine([replace(v2c_device("labsw", 161, COMMUNITY, timeout_s=0.5, retries=1), host="198.51.100.10")], client)
    snapshots = []
    try:
        snapshots.append(await engine.poll())
        lab.cable(switch, "swp2", "203.0.113.1/24", lab.namespace("h2"), "eth0", "203.0.113.10/24")
        for _ in range(8):  # net-snmp reloads its interface list every few seconds
            await asyncio.sleep(1.5)
            snapshots.append(await engine.poll())
            if any(info.if_name == "swp2" for info in snapshots[-1].interfaces.values()):
                break
        await asyncio.sleep(1.5)
        snapshots.append(await engine.poll())
    finally:
        client.close()

    def port(snapshot, name):
        return next((p for p in snapshot.ports if snapshot.interfaces.get(("labsw", p.rates.if_index)) and
                     snapshot.interfaces[("labsw", p.rates.if_index)].if_name == name), None)

    seen = next(n for n, s in enumerate(snapshots) if port(s, "swp2") is not None)
    assert port(snapshots[seen], "swp2").rates.status is RateStatus.FIRST, "a new interface has no rate yet"
    assert port(snapshots[-1], "swp2").rates.status is RateStatus.OK
    assert all(not s.failed for s in snapshots)
    assert all(port(s, "swp1").rates.status is RateStatus.OK for s in snapshots[1:]), "the others keep their rates"
    assert not any(p.flagged for s in snapshots for p in s.ports)


async def test_a_port_switched_off_is_asked_its_status_only_until_switched_on(lab):
    """An administratively down port has nothing to count: its counters are not asked. Switched on
    again, it is read in full from the poll that sees it up, with no false rate."""
    switch = lab.namespace("sw")
    lab.cable(switch, "swp1", "192.0.2.1/24", lab.namespace("h1"), "eth0", "192.0.2.10/24")
    lab.cable(switch, "swp2", "203.0.113.1/24", lab.namespace("h2"), "eth0", "203.0.113.10/24")
    lab.management_link(switch, "198.51.100.17/30", "198.51.100.18/30")
    lab.exec(switch, "ip", "link", "set", "swp2", "down")
    await asyncio.to_thread(lab.snmpd, switch, COMMUNITY, "198.51.100.18", "198.51.100.16/30")
    client = SnmpClient()
    labsw = replace(v2c_device("labsw", 161, COMMUNITY, timeout_s=0.5, retries=1), host="198.51.100.18")
    engine = Engine([labsw], client)
    session = client.session(labsw)
    try:
        interfaces = await read_interfaces(session)
        swp1, swp2 = (next(i for i, x in interfaces.items() if x.if_name == name) for name in ("swp1", "swp2"))
        plan = await read_plan(session)
        asked = dict(plan.ports)
        assert dict(plan.switched_off) == {swp2: 2} and asked[swp2] == ("oper_status",) and len(asked[swp1]) > 10
        sample = await read_counters(session, plan)
        assert sample.ports[swp2].oper_status == "down" and not sample.ports[swp2].counters

        snapshots = [await engine.poll()]
        lab.exec(switch, "ip", "link", "set", "swp2", "up")
        for _ in range(8):  # net-snmp reloads its interface list every few seconds
            await asyncio.sleep(1.5)
            snapshots.append(await engine.poll())
            if snapshots[-1].oper_status.get(("labsw", swp2)) == "up":
                break
        await asyncio.sleep(1.5)
        snapshots.append(await engine.poll())
    finally:
        client.close()
    rates = [{p.rates.if_index: p.rates for p in s.ports if p.rates.device == "labsw"} for s in snapshots]
    seen = next(n for n, s in enumerate(snapshots) if s.oper_status.get(("labsw", swp2)) == "up")
    assert rates[seen][swp2].inbound.pps is None and rates[seen][swp2].inbound.bps is None, \
        "switched on: counted from this poll, no rate from counters never read before"
    assert rates[-1][swp2].status is RateStatus.OK and rates[-1][swp2].inbound.pps is not None
    assert all(not s.failed for s in snapshots) and not any(p.flagged for s in snapshots for p in s.ports)
