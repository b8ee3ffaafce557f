"""A fixed scenario for the TUI's snapshots: the demo network's traffic model, polled in model time.

Counters are the model's own integrated traffic (the same the demo agents serve), read every
5 model seconds, and go through the product's pipeline (rates, detector, ranking, host
placement): only the wall clock and the network are left out, so every run draws the same screen.
"""

from __future__ import annotations

from portmap.core.detector import Detector
from portmap.core.ranking import rank_rates
from portmap.core.rates import compute_device_rates
from portmap.core.samples import Counter, DeviceSample, InterfaceInfo, PortCounters
from portmap.demo.network import DemoNetwork, default_network
from portmap.demo.tables import device_tables
from portmap.demo.traffic import FIELDS, TrafficModel
from portmap.core.neighbourhood import DeviceTables, map_neighbourhood
from portmap.core.snapshot import DeviceStatus, Snapshot
from portmap.core.snapshot import Frame

EPOCH = 1_795_770_000.0
"""Model second 0 on the wall clock (2026-11-26 20:20:00 UTC): snapshots show times from it."""
FLOOD_AT_S, POLL_S = 32, 5
SILENT = DeviceStatus("acc3", False, 2.0, "acc3: no answer: no response from 192.0.2.13:161 in 2s (2 tries)", "SnmpTimeout")
"""An inventoried switch that never answers: the header must name it."""


def _interfaces(network: DemoNetwork) -> dict[str, dict[int, InterfaceInfo]]:
    return {d.name: {p.if_index: InterfaceInfo(p.if_index, p.name, p.descr, p.alias, 6, p.speed_bps, p.mac, "up" if p.up else "down")
                     for p in d.ports} for d in network.devices}


def scenario_frames(until_s: int = 50) -> list[Frame]:
    network = default_network(flood_after_s=FLOOD_AT_S)
    model = TrafficModel(network, clock=lambda: 0.0)
    interfaces = _interfaces(network)
    roles = {d.name: list(d.roles) for d in network.devices}
    tables = []
    for spec in network.devices:
        demo = device_tables(network, spec.name)
        tables.append(DeviceTables(spec.name, interfaces[spec.name], demo.fdb, demo.arp, demo.lldp, spec.base_mac))
    neighbourhood = map_neighbourhood(tables, roles)
    totals = {key: [0.0] * len(FIELDS) for key in model.ports}
    detector, previous, frames = Detector(), {}, []
    for second in range(until_s):
        for key, row in model.rates_at(second).items():
            totals[key] = [t + r for t, r in zip(totals[key], row)]
        if (second + 1) % POLL_S:
            continue
        now = second + 1
        rates = []
        for spec in network.devices:
            ports = {p.if_index: PortCounters(p.if_index, "up" if p.up else "down", None,
                                              {name: Counter(int(value), 64) for name, value in zip(FIELDS, totals[(spec.name, p.if_index)])})
                     for p in spec.ports}
            sample = DeviceSample.of(spec.name, float(now), now * 100, float(now), ports)
            rates.append(compute_device_rates(previous.get(spec.name), sample, interfaces[spec.name]))
            previous[spec.name] = sample
        oper = {(d, i): info.admin_status for d, infos in interfaces.items() for i, info in infos.items()}
        detections = detector.observe(rates, EPOCH + now, list(previous.values()))
        ranked = rank_rates(rates, {k: d.flags for k, d in detections.items()}, uplinks=frozenset(neighbourhood.uplinks),
                            since={k: d.since for k, d in detections.items() if d.since is not None}, path=neighbourhood.flood_path())
        statuses = tuple(DeviceStatus(d.name, True, 0.03) for d in network.devices) + (SILENT,)
        snapshot = Snapshot(EPOCH + now, 0.12, ranked, {(d, i): info for d, infos in interfaces.items() for i, info in infos.items()},
                            oper, statuses)
        frames.append(Frame(snapshot, neighbourhood, (), len(frames) + 1))
    return frames
