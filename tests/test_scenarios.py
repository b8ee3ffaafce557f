"""The poller against simulated agents that wrap, reboot, stay silent, answer late or use SNMPv3."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from portmap.core.cache_clock import LEARN_FROM
from portmap.core.rates import DeviceRates, RateStatus
from portmap.core.samples import DeviceSample
from portmap.demo.inventory import demo_inventory
from portmap.demo.lab import SimulatedNetwork
from portmap.inventory.model import Secret
from portmap.engine import poller
from portmap.core.snapshot import Snapshot
from portmap.engine.poller import Engine
from portmap.present.top import render_table
from portmap.snmp import oids
from portmap.snmp.session import SnmpClient
from tests.conftest import scenario_network
from tests.faults import close_relay, silent_agent, slow_relay
from tests.helpers import TIMING, free_udp_ports, report, v2c_device

pytestmark = TIMING


def rates_of(snapshot: Snapshot, device: str) -> dict[int, object]:
    return {p.rates.if_index: p.rates for p in snapshot.ports if p.rates.device == device}


async def two_polls(engine: Engine, gap_s: float = 2.0) -> tuple[Snapshot, Snapshot]:
    first = await engine.poll()
    await asyncio.sleep(gap_s)
    return first, await engine.poll()


async def test_counter32_only_device_wraps_and_keeps_true_rates(quiet_scenario):
    client = SnmpClient()
    device = quiet_scenario.device("old1")
    session = client.session(device)
    octets = oids.ifInOctets.instance(1)
    quiet_scenario.simulator.restart("old1")  # its 32-bit counters start again 2.5 MB below the wrap
    before = (await session.get([octets]))[octets]
    engine = Engine([device], client)
    _, second = await two_polls(engine, 2.5)
    after = (await session.get([octets]))[octets]
    client.close()
    assert after < before, "the 32-bit counter should have wrapped during the test"
    nas_port = rates_of(second, "old1")[1]
    assert nas_port.status is RateStatus.OK
    # nas1 sends 2000 pps of 1000 B (noise +-25 %) plus broadcasts: 16 Mb/s give or take.
    assert 12e6 < nas_port.inbound.bps < 20.5e6
    assert 1400 < nas_port.inbound.pps < 2600
    assert second.interfaces[("old1", 1)].if_name == "port1", "no ifName: the name comes from ifDescr"


async def test_reboot_mid_run_gives_no_rate_and_no_flag_while_others_are_shown(quiet_scenario):
    client = SnmpClient()
    engine = Engine([quiet_scenario.device(n) for n in ("acc1", "acc2", "core1")], client)
    await engine.poll()
    await asyncio.sleep(1.0)
    quiet_scenario.simulator.restart("acc2")
    rebooted = await engine.poll()
    await asyncio.sleep(1.0)
    after = await engine.poll()
    client.close()
    acc2 = rates_of(rebooted, "acc2")
    assert acc2 and all(r.status is RateStatus.DISCONTINUITY for r in acc2.values())
    assert all("agent restarted" in r.note for r in acc2.values())
    assert all(r.status is RateStatus.OK for r in rates_of(rebooted, "acc1").values())
    assert not any(p.flagged for p in rebooted.ports) and not any(p.flagged for p in after.ports)
    assert all(r.status is RateStatus.OK for r in rates_of(after, "acc2").values())
    assert not rebooted.failed and not after.failed


async def test_silent_device_is_reported_and_slow_device_still_answers(quiet_scenario):
    silent_port, slow_port = free_udp_ports(2)
    silent = await silent_agent(silent_port)
    relay_transport, relay = await slow_relay(slow_port, quiet_scenario.devices["acc2"].port, delay_s=0.3)
    client = SnmpClient()
    devices = [
        quiet_scenario.device("acc1"),
        quiet_scenario.device("acc2", name="acc2-slow", port=slow_port, timeout_s=1.5),
        quiet_scenario.device("acc1", name="ghost", port=silent_port, timeout_s=0.5, retries=1),
    ]
    engine = Engine(devices, client)
    started = time.monotonic()
    _, second = await two_polls(engine, 1.0)
    elapsed = time.monotonic() - started
    client.close()
    silent.close()
    close_relay(relay_transport, relay)
    (ghost,) = second.failed
    assert ghost.name == "ghost" and ghost.error_kind == "SnmpTimeout"
    assert "no response from 127.0.0.1" in ghost.error and "in 1s (2 tries)" in ghost.error
    assert all(r.status is RateStatus.OK for r in rates_of(second, "acc2-slow").values())
    assert all(r.status is RateStatus.OK for r in rates_of(second, "acc1").values())
    # The silent device costs its own timeout, not the others' time: polls run side by side.
    assert elapsed < 1.0 + 2 * (2 * 0.5 + 0.5) + 2 * 1.5


async def test_devices_silent_last_poll_do_not_queue_for_a_place(quiet_scenario, monkeypatch):
    """Devices are read a few at a time (poller.DEVICES_AT_ONCE, here one); a device that failed its
    last poll does not wait for a place, so its timeout runs beside the others' reads."""
    monkeypatch.setattr(poller, "DEVICES_AT_ONCE", 1)
    ports = free_udp_ports(5)
    silent = [await silent_agent(port) for port in ports]
    client = SnmpClient()
    devices = [quiet_scenario.device("acc1", name=f"dead{n}", port=port, timeout_s=2.0, retries=0)
               for n, port in enumerate(ports)] + [quiet_scenario.device("acc1")]
    engine = Engine(devices, client)
    try:
        first = await engine.poll()
        second = await engine.poll()
    finally:
        client.close()
        for transport in silent:
            transport.close()
    # First: each silent device holds the one place for half a second before the next may start.
    assert first.poll_s >= 2.0 + 4 * 0.5 - 0.1, first.poll_s
    assert [d.name for d in second.devices if d.answered] == ["acc1"]
    assert second.poll_s < 3.0, f"queued behind the silent devices: {second.poll_s:.1f}s"


async def test_a_hundred_silent_devices_do_not_hold_up_the_one_that_answers(quiet_scenario):
    """During an outage many switches go silent at once: more than there are places for requests in
    flight. A request that waits stops holding its place, so the answering device is not queued
    behind their timeouts."""
    ports = free_udp_ports(100)
    silent = [await silent_agent(port) for port in ports]
    client = SnmpClient(max_in_flight=64)
    devices = [quiet_scenario.device("acc1")] + [
        quiet_scenario.device("acc1", name=f"dead{n}", port=port, timeout_s=2.0, retries=0) for n, port in enumerate(ports)]
    engine = Engine(devices, client)
    try:
        await engine.poll()
        snapshot = await engine.poll()
    finally:
        client.close()
        for transport in silent:
            transport.close()
    answered = {d.name: d for d in snapshot.devices if d.answered}
    assert set(answered) == {"acc1"} and len(snapshot.failed) == 100
    # Queued behind 100 silent requests holding 64 places for 2 s each, each of acc1's requests
    # would wait about 2 s; its whole poll takes a fraction of a second on its own.
    report(f"100 silent devices (64 places for requests in flight): the answering switch polled in "
           f"{answered['acc1'].response_s:.2f}s, the whole poll took {snapshot.poll_s:.1f}s")
    assert answered["acc1"].response_s < 1.5, f"acc1 took {answered['acc1'].response_s:.1f}s"
    assert all(r.status is RateStatus.OK for r in rates_of(snapshot, "acc1").values())


async def test_snmpv3_authpriv_device_polls_and_a_wrong_password_is_named(quiet_scenario):
    client = SnmpClient()
    good = quiet_scenario.device("v3sw")
    wrong_auth = replace(good, name="v3-wrong-auth", snmp=replace(good.snmp, auth_password=Secret("not-the-password")))
    wrong_user = replace(good, name="v3-wrong-user", snmp=replace(good.snmp, user="intruder"))
    engine = Engine([good, wrong_auth, wrong_user, quiet_scenario.device("acc1")], client)
    _, second = await two_polls(engine, 1.0)
    client.close()
    failures = {d.name: d for d in second.failed}
    assert set(failures) == {"v3-wrong-auth", "v3-wrong-user"}
    assert failures["v3-wrong-auth"].error_kind == "SnmpAuthError"
    assert "wrong auth password" in failures["v3-wrong-auth"].error or "cannot decrypt" in failures["v3-wrong-auth"].error
    assert failures["v3-wrong-user"].error == "v3-wrong-user: authentication failed: unknown SNMPv3 user 'intruder' (asking 1.3.6.1.2.1.2.1.0)"
    assert rates_of(second, "v3sw")[1].status is RateStatus.OK
    assert all(r.status is RateStatus.OK for r in rates_of(second, "acc1").values())
    assert "not-the-password" not in repr(second)


SLIP_S = 1.4
"""How late the agent runs one reload, as net-snmp does when busy or stopped: the later ones follow it."""


async def test_counters_cached_by_the_agent_still_give_true_rates_and_its_reloads_are_learned():
    """An agent that reloads counters every 3 s (as net-snmp does) must not skew a rate. Its
    reloads are found by probing on the first polls, then learned: later reads are stamped with
    the reload before them and cost one read, and polls more frequent than its reloads wait for
    the next one rather than reading the same values twice. When one reload runs late and moves
    the later ones, the read that comes too early (the same values again) is not taken for a
    poll of no traffic: the grid moves with its period kept, and the next poll's check confirms it.
    web1's port is zoomed in on between polls (read every 0.5 s): a zoomed read that comes too
    early is not measured either, and zoomed reads wait for the poll that follows the agent."""
    network = scenario_network(flood_after_s=0.0)
    acc1 = replace(network.device("acc1"), counter_cache_s=3.0)
    network = replace(network, devices=tuple(acc1 if d.name == "acc1" else d for d in network.devices))
    simulator = SimulatedNetwork(network)
    simulator.start()
    client = SnmpClient()
    engine = Engine([demo_inventory(network).devices[1]], client)
    state = engine._states["acc1"]
    snapshots, requests, phases = [], [], []
    zoomed: list[tuple[int, float | None]] = []  # (the poll before, web1's pps) of each zoomed read measured
    doubted: list[int] = []  # the polls before zoomed reads that found the reload late
    measured = engine.zoom.measured

    def recorded(rates: DeviceRates) -> None:
        zoomed.append((len(snapshots), rates.port(rates.if_indexes.tolist().index(5)).inbound.pps))
        measured(rates)

    engine.zoom.measured = recorded  # type: ignore[method-assign]
    zoomed_before: dict[str, DeviceSample] = {}
    try:
        await asyncio.sleep(1.2)
        for poll in range(LEARN_FROM + 3):
            before = state.session.requests_sent
            snapshots.append(await engine.poll())
            requests.append(state.session.requests_sent - before)
            phases.append((state.clock.known, state.clock.phase_s, state.clock.moved))
            if poll == LEARN_FROM:  # the next reload runs late, and the zoomed reads until the next poll pass it
                agent = simulator.agents["acc1"]
                assert agent._reload_timer is not None
                agent._reload_timer.cancel()
                loop = asyncio.get_running_loop()
                agent._reload_timer = loop.call_later(agent._reload_timer.when() - loop.time() + SLIP_S, agent._reload_counters)
            for _ in range(7 if poll == LEARN_FROM else 2):
                await asyncio.sleep(0.5)
                await engine._zoom_device(state, {5}, zoomed_before)
                if state.clock_doubted:
                    doubted.append(len(snapshots))
                    break
    finally:
        engine.close()
        client.close()
        simulator.stop()
    clock = state.clock
    assert clock.known and abs(clock.period_s - 3.0) < 0.05
    # 40,000 pps of flood plus web1's own 180 pps (+-25 %): without finding the cache's
    # refresh, the rate would be off by up to 3 s in 3. Probes every 0.1 s place a reload within
    # 0.1 s or so (5 % of 3 s, both ends); the learned grid, fitted on several, does better.
    web1 = [rates_of(snapshot, "acc1")[5].inbound.pps for snapshot in snapshots[1:]]
    # stamped from the grid: the learned polls; from a probe: the learning ones, the slip's and the check's after it
    stamped = web1[LEARN_FROM - 1:LEARN_FROM]
    probed = web1[:LEARN_FROM - 1] + web1[LEARN_FROM:]
    assert all(40_000 * 0.95 < pps < 40_225 * 1.05 for pps in probed), web1
    assert all(40_000 * 0.98 < pps < 40_225 * 1.02 for pps in stamped), web1
    # a read, probes, a read again; then a read; after the slip, a read, probes to the late reload, a read;
    # then probes from just before the reload expected, and a read
    learning, learned, slipped, followed = requests[1:LEARN_FROM], *requests[LEARN_FROM:]
    assert learned * 4 < min(learning), str(requests)
    assert learned * 2 < slipped < min(learning) and followed < learned + 6, str(requests)  # then a check: a few probes
    assert all(known for known, _, _ in phases[LEARN_FROM - 1:]), "the grid was forgotten, not moved"
    assert phases[-2][2] and not phases[-1][2], "moved, then confirmed by the next read's check"
    moved = (phases[-1][1] - phases[LEARN_FROM][1]) % clock.period_s
    assert abs(moved - SLIP_S) < 0.3, phases  # both phases from reloads found by probes every 0.1 s, on a loaded loop
    assert all(pps is not None and 40_000 * 0.95 < pps < 40_225 * 1.05 for _, pps in zoomed), zoomed
    assert doubted == [LEARN_FROM + 1], f"only the zoomed reads after the slip found it (after polls {doubted})"
    assert len(zoomed) >= 2 and zoomed[-1][0] > LEARN_FROM + 1, f"zoomed reads measured again once followed: {zoomed}"
    report(f"agent reloading every 3 s, polled every 1 s: reload period learned ({clock.period_s:.2f} s) after "
           f"{LEARN_FROM} polls; requests per poll {requests}; web1 {min(probed):.0f}-{max(probed):.0f} pps while probing, "
           f"{stamped[0]:.0f} stamped from the grid (true 40,000-40,225); a reload {SLIP_S} s late "
           f"moved the grid {moved:.2f} s with its period, probing in one poll, checked in the next; zoomed reads measured "
           f"web1 at {', '.join(f'{pps:.0f}' for _, pps in zoomed if pps)} pps, none in the slip")


async def test_a_host_name_that_does_not_resolve_is_its_own_error():
    client = SnmpClient()
    device = replace(v2c_device("typo", 161), host="no-such-host.invalid")
    engine = Engine([device], client)
    snapshot = await engine.poll()
    client.close()
    (failed,) = snapshot.failed
    assert failed.error_kind == "SnmpAddressError"
    assert failed.error.startswith("typo: bad address: cannot resolve host 'no-such-host.invalid'")


async def test_a_mass_outage_costs_the_answering_device_nothing_after_the_first_poll(quiet_scenario):
    """300 silent devices beside one that answers: from the second poll on, the silent ones are
    retried apart (their own places, a short grace, backoff) and the poll is the answering
    device's time; every silent device is still reported, and the text view counts them on one
    line under the table."""
    ports = free_udp_ports(300)
    silent = [await silent_agent(port) for port in ports]
    client = SnmpClient()
    devices = [quiet_scenario.device("acc1")] + [
        quiet_scenario.device("acc1", name=f"dead{n:03d}", port=port, timeout_s=2.0, retries=0) for n, port in enumerate(ports)]
    engine = Engine(devices, client)
    try:
        snapshots = [await engine.poll() for _ in range(4)]
    finally:
        engine.close()
        client.close()
        for transport in silent:
            transport.close()
    for later in snapshots[1:]:
        assert len(later.failed) == 300 and [d.name for d in later.devices if d.answered] == ["acc1"]
        assert later.poll_s < 1.5, f"the poll waited for silent devices: {later.poll_s:.1f}s"
        assert next(d for d in later.devices if d.name == "acc1").response_s < 0.5
    report(f"300 silent devices beside one that answers: polls took {', '.join(f'{s.poll_s:.2f}' for s in snapshots)} s")
    text = render_table(snapshots[-1], 20, 2.0)
    assert "NOT ANSWERING (300):" in text and "x ... and 290 more devices not answering (--json lists every one)" in text
    assert len(text.splitlines()) < 40, "the table stays on a 45-line screen"
