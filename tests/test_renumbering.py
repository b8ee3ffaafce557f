"""Agents that renumber their interfaces: each port keeps its own baselines, in the run and across runs.

The demo's acc1 serves db1 (Gi1/0/7) steady at about 15k pps and web2 (Gi1/0/6) at about 1,250.
Then acc1 comes back with the two ports' ifIndexes exchanged. Kept by ifIndex, db1's 15k pps met
web2's normal and was flagged "12x its normal" for good, and a real 12x flood on web2 met db1's
normal and was never flagged.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from portmap.core.snapshot import Frame, Snapshot
from portmap.core.thresholds import FlagThresholds
from portmap.demo.inventory import demo_inventory
from portmap.demo.lab import SimulatedNetwork
from portmap.demo.network import DemoNetwork, FloodSpec, default_network
from portmap.engine.poller import Engine
from portmap.engine.state import load_baselines, save_baselines
from portmap.engine.watch import WatchSettings, watch
from portmap.snmp.session import SnmpClient
from tests.conftest import on_free_ports
from tests.helpers import TIMING, report

pytestmark = TIMING

WEB2, DB1 = 6, 7
"""acc1's ifIndexes of web2's and db1's ports before the renumbering."""
SWAPPED = {WEB2: DB1, DB1: WEB2}
LIMITS = FlagThresholds(warmup_samples=6)
GAP_S = 0.5


def busy_network(flood_at_s: float) -> DemoNetwork:
    """The demo with db1 steady at 15k pps of 1,000 B, web2 at 1,250 pps, and web2 flooding 12x its normal at `flood_at_s`."""
    network = default_network(flood_after_s=3600)
    hosts = tuple(replace(h, send_pps=15_000, send_bytes=1000) if h.name == "db1" else replace(h, send_pps=1250) if h.name == "web2" else h
                  for h in network.hosts)
    return on_free_ports(replace(network, hosts=hosts, floods=(FloodSpec("web2", pps=13_750, packet_bytes=400, start_s=flood_at_s),)))


def acc1_flagged(snapshot: Snapshot) -> dict[tuple[int, str], list[str]]:
    """acc1's flagged ports: (ifIndex, ifName) -> the kinds of their flags."""
    return {(p.rates.if_index, snapshot.interfaces[p.key].if_name): [f.kind.value for f in p.flags]
            for p in snapshot.ports.flagged if p.rates.device == "acc1"}


async def poll_until(engines: list[Engine], simulator: SimulatedNetwork, until_s: float) -> list[list[Snapshot]]:
    """Each engine's snapshots, polling all of them every GAP_S until the model's clock reaches `until_s`."""
    taken: list[list[Snapshot]] = [[] for _ in engines]
    while simulator.model.elapsed() < until_s:
        for snapshots, snapshot in zip(taken, await asyncio.gather(*(engine.poll() for engine in engines))):
            snapshots.append(snapshot)
        await asyncio.sleep(GAP_S)
    return taken


async def test_a_reboot_that_renumbers_ports_keeps_each_ports_baseline_in_the_run_and_in_the_next(tmp_path):
    flood_at = 12.0
    network = busy_network(flood_at)
    simulator = SimulatedNetwork(network)
    devices = [d for d in demo_inventory(network).devices if d.name == "acc1"]
    client = SnmpClient()
    simulator.start()
    running = Engine(devices, client, LIMITS)
    try:
        await poll_until([running], simulator, 7.0)  # db1, busy since start, learned (6 intervals) and cleared (3)
        state = tmp_path / "state.sqlite"
        save_baselines(state, running.baselines())
        simulator.renumber("acc1", SWAPPED)
        next_run = Engine(devices, client, LIMITS, baselines=load_baselines(state))
        before = await poll_until([running, next_run], simulator, flood_at)
        after = await poll_until([running, next_run], simulator, flood_at + 2.5)
    finally:
        simulator.stop()
        client.close()
    for snapshots in before:
        assert [acc1_flagged(s) for s in snapshots if acc1_flagged(s)] == []
        assert snapshots[-1].interfaces[("acc1", DB1)].if_name == "Gi1/0/6"  # web2's port, under db1's old ifIndex
    for snapshots in after:
        flagged = [acc1_flagged(s) for s in snapshots[1:]]  # from the first interval wholly in the flood
        assert flagged and all(found == {(DB1, "Gi1/0/6"): ["packet flood"]} for found in flagged), flagged
    report(f"renumbered acc1 (db1 and web2 exchanged ifIndexes): {sum(map(len, before))} polls without a flag in the run "
           f"and in the next (baselines from the state file); web2's 12x flood flagged on its new ifIndex in both")


async def test_ports_renumbered_while_the_agent_runs_are_read_again_with_the_tables(tmp_path):
    network = busy_network(flood_at_s=3600)
    simulator = SimulatedNetwork(network)
    devices = [d for d in demo_inventory(network).devices if d.name == "acc1"]
    frames: list[Frame] = []

    def show(frame: Frame) -> None:
        frames.append(frame)
        if frame.number == 12:  # warm; the next table read is at most 2 s away
            simulator.renumber("acc1", SWAPPED, reboot=False)

    simulator.start()
    try:
        settings = WatchSettings(interval_s=GAP_S, thresholds=LIMITS, tables_every_s=2.0)
        await watch(devices, settings, show, rounds=30)
    finally:
        simulator.stop()
    names = [frame.snapshot.interfaces[("acc1", DB1)].if_name for frame in frames]
    assert names[:12] == ["Gi1/0/7"] * 12 and names[-1] == "Gi1/0/6"
    settled = [acc1_flagged(frame.snapshot) for frame in frames[-10:]]
    assert settled == [{}] * 10, settled
    report(f"acc1's ports renumbered with no restart: names read again after {names.index('Gi1/0/6') - 12} polls, "
           f"the last 10 polls flag nothing (flags during the change: {sum(bool(acc1_flagged(f.snapshot)) for f in frames[12:-10])})")
