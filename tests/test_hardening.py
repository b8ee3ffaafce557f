"""Agents that drop requests, answer too late, change tables, community or engine id after a restart."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest

from portmap.core.rates import RateStatus
from portmap.errors import SnmpTimeout
from portmap.demo.inventory import demo_inventory
from portmap.demo.lab import SimulatedNetwork
from portmap.demo.network import AgentFault, PortSpec, default_network
from portmap.core.snapshot import Snapshot
from portmap.engine.poller import Engine
from portmap.engine.tables import probe_system
from portmap.snmp.datagrams import reply_source
from portmap.snmp.session import SnmpClient
from tests.faults import close_relay, forging_relay, silent_agent, slow_relay
from tests.conftest import demo_with
from tests.helpers import TIMING, free_udp_ports, v2c_device

pytestmark = TIMING


def by_device(snapshot: Snapshot, device: str) -> dict[int, object]:
    return {p.rates.if_index: p.rates for p in snapshot.ports if p.rates.device == device}


async def polls(engine: Engine, count: int, gap_s: float = 0.7) -> list[Snapshot]:
    snapshots = []
    for _ in range(count):
        snapshots.append(await engine.poll())
        await asyncio.sleep(gap_s)
    return snapshots


async def test_lossy_and_too_slow_agents_fail_alone_and_invent_nothing(quiet_scenario):
    lossy_port, late_port = free_udp_ports(2)
    acc2_port = quiet_scenario.devices["acc2"].port
    lossy = await slow_relay(lossy_port, acc2_port, delay_s=0.0, drop_ratio=0.3)
    late = await slow_relay(late_port, acc2_port, delay_s=0.8)
    client = SnmpClient()
    engine = Engine([
        quiet_scenario.device("acc1"),
        quiet_scenario.device("acc2", name="lossy", port=lossy_port, timeout_s=0.3, retries=4),
        quiet_scenario.device("acc2", name="late", port=late_port, timeout_s=0.3, retries=1),
    ], client)
    try:
        snapshots = await polls(engine, 4)
    finally:
        client.close()
        close_relay(*lossy)
        close_relay(*late)
    assert lossy[1].dropped > 0
    for snapshot in snapshots:
        late_status = next(d for d in snapshot.devices if d.name == "late")
        assert not late_status.answered and late_status.error_kind == "SnmpTimeout"
        assert by_device(snapshot, "late") == {}
        assert all(d.answered for d in snapshot.devices if d.name == "acc1")
        assert not any(p.flagged for p in snapshot.ports)
    # Whenever the lossy device answered, its rates are whole; when it did not, it has none.
    for snapshot in snapshots[1:]:
        lossy_status = next(d for d in snapshot.devices if d.name == "lossy")
        rates = by_device(snapshot, "lossy")
        if lossy_status.answered:
            assert rates and all(r.status in (RateStatus.OK, RateStatus.FIRST) for r in rates.values())
        else:
            assert rates == {}
    assert any(d.answered for s in snapshots for d in s.devices if d.name == "lossy")


async def test_a_port_added_between_polls_starts_without_a_rate(quiet_scenario):
    client = SnmpClient()
    engine = Engine([quiet_scenario.device("acc2")], client)
    acc2 = quiet_scenario.network.device("acc2")
    try:
        await engine.poll()
        await asyncio.sleep(0.5)
        grown = replace(acc2, ports=acc2.ports + (PortSpec(201, "Gi2/0/1", "GigabitEthernet2/0/1", 10**9, "new card"),))
        quiet_scenario.simulator.change_tables(grown)
        after = await engine.poll()
        await asyncio.sleep(0.5)
        settled = await engine.poll()
    finally:
        client.close()
    assert by_device(after, "acc2")[201].status is RateStatus.FIRST
    assert after.interfaces[("acc2", 201)].alias == "new card"
    assert by_device(settled, "acc2")[201].status is RateStatus.OK
    assert not any(p.flagged for p in [*after.ports, *settled.ports])


async def test_new_community_after_a_reboot_is_reported_and_the_rest_goes_on(quiet_scenario):
    client = SnmpClient()
    engine = Engine([quiet_scenario.device("acc1"), quiet_scenario.device("acc2")], client)
    try:
        await engine.poll()
        quiet_scenario.simulator.reboot_as(replace(quiet_scenario.network.device("acc2"), community="changed-by-someone"))
        await asyncio.sleep(0.3)
        after = await engine.poll()
    finally:
        client.close()
    (failed,) = after.failed
    assert failed.name == "acc2" and failed.error_kind == "SnmpTimeout" and "community is wrong" in failed.error
    assert "changed-by-someone" not in failed.error
    assert all(r.status is RateStatus.OK for r in by_device(after, "acc1").values())


async def test_v3_agent_with_a_new_engine_id_after_reboot_is_followed(quiet_scenario):
    client = SnmpClient()
    engine = Engine([quiet_scenario.device("v3sw")], client)
    try:
        await engine.poll()
        await asyncio.sleep(0.5)
        await engine.poll()
        quiet_scenario.simulator.reboot_as(quiet_scenario.network.device("v3sw"))
        snapshots = await polls(engine, 3, gap_s=0.5)
    finally:
        client.close()
    answered = [s for s in snapshots if not s.failed]
    assert answered, f"never followed the new engine: {[d.error for s in snapshots for d in s.failed]}"
    first = answered[0]
    assert all(r.status in (RateStatus.DISCONTINUITY, RateStatus.FIRST) for r in by_device(first, "v3sw").values()), by_device(first, "v3sw")
    assert not any(p.flagged for s in snapshots for p in s.ports)


async def test_a_reply_from_another_address_is_never_taken_for_the_devices(quiet_scenario):
    """Each of acc1's answers is raced by a copy from another port with the right request-id and
    community, claiming sysName 'evil': the device keeps its own name and its counters poll,
    the forgeries are counted by source."""
    port = free_udp_ports(1)[0]
    forge = lambda answer: answer.replace(b"\x04\x04acc1", b"\x04\x04evil")  # noqa: E731
    transport, relay = await forging_relay(port, quiet_scenario.devices["acc1"].port, forge)
    victim = quiet_scenario.device("acc1", port=port)
    try:
        (checked,) = await probe_system([victim])
        client = SnmpClient()
        engine = Engine([victim], client)
        snapshots = await polls(engine, 2, gap_s=0.5)
        forged = dict(client.community.forged)
        client.close()
    finally:
        close_relay(transport, relay)
    assert not isinstance(checked, Exception) and checked.system.sys_name == "acc1"
    assert not snapshots[-1].failed and by_device(snapshots[-1], "acc1")
    assert sum(forged.values()) >= 2 and all(source.startswith("127.0.0.1:") for source in forged)
    ids = relay.request_ids
    assert len(set(ids)) == len(ids) and not any(abs(a - b) == 1 for a, b in zip(ids, ids[1:])), "request-ids are not sequential"


def test_a_source_address_is_compared_in_one_form():
    assert reply_source(("::ffff:192.0.2.7", 161, 0, 0)) == ("192.0.2.7", 161)
    assert reply_source(("2001:db8::1", 161, 0, 0)) == ("2001:db8::1", 161) == reply_source(("2001:DB8:0::1", 161))
    assert reply_source(("fe80::1%eth0", 161, 0, 2)) == ("fe80::1", 161)


async def test_a_64_bit_counter_that_jumps_by_2_to_the_32_is_a_glitch_not_traffic():
    """acc2's agent adds 2**32 to port 1's ifHCInOctets (a 100G port: 24 Gb/s would be possible)
    and to port 2's ifHCInUcastPkts (speed unknown: no line rate to check) two seconds in."""
    speeds = {1: 100 * 10**9, 2: 0}
    ports = tuple(replace(p, speed_bps=speeds.get(p.if_index, p.speed_bps)) for p in default_network(3600).device("acc2").ports)
    network = demo_with({"acc2": {"faults": (AgentFault.HC_CARRY,), "ports": ports}})
    simulator = SimulatedNetwork(network)
    simulator.start()
    started = time.monotonic()
    client = SnmpClient()
    engine = Engine([next(d for d in demo_inventory(network).devices if d.name == "acc2")], client)
    try:
        snapshots = []
        for at in (0.0, 1.0, 2.5, 3.3):  # seconds after start: the jump comes between the second and third
            await asyncio.sleep(max(0.0, at - (time.monotonic() - started)))
            snapshots.append(await engine.poll())
    finally:
        client.close()
        simulator.stop()
    before, jumped, after = (by_device(s, "acc2") for s in snapshots[1:])
    assert before[1].status is RateStatus.OK and before[2].status is RateStatus.OK
    assert jumped[1].status is RateStatus.GLITCH and jumped[2].status is RateStatus.GLITCH, (jumped[1].note, jumped[2].note)
    assert "2**32" in jumped[1].note and not snapshots[2].ports.flagged and snapshots[2].glitches_dropped >= 2
    assert after[1].status is RateStatus.OK and after[2].status is RateStatus.OK, "the counter goes on from where it jumped"
    assert after[2].inbound.pps < 1000 and after[1].inbound.bps < 10**7


async def test_a_client_closed_while_requests_wait_sends_nothing_more():
    """The poller stopping (the TUI's worker ending) closes the client while retry timers are
    armed: they end their requests instead of sending on the closed socket."""
    port = free_udp_ports(1)[0]
    silent = await silent_agent(port)
    errors: list[dict] = []
    asyncio.get_running_loop().set_exception_handler(lambda loop, context: errors.append(context))
    client = SnmpClient()
    session = client.session(v2c_device("dead", port, timeout_s=0.2, retries=3))
    waiting = asyncio.create_task(session.get([(1, 3, 6, 1, 2, 1, 1, 3, 0)]))
    await asyncio.sleep(0.3)
    client.close()
    await asyncio.sleep(0.8)
    silent.close()
    with pytest.raises(SnmpTimeout):
        await asyncio.wait_for(waiting, 5)  # on a closed client, too, a request ends
    assert errors == []
