"""What each command does, over the engine; printing stays here, deciding stays in the core."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from portmap.cli.render import render_json, render_table
from portmap.core.detector import Detector
from portmap.core.samples import SystemInfo
from portmap.errors import PortmapError, SnmpError
from portmap.inventory.model import Device
from portmap.dns import ReverseDns
from portmap.neighbourhood import Neighbourhood, read_neighbourhood
from portmap.poller import DeviceStatus, Engine, Snapshot
from portmap.snmp.ifmib import read_system
from portmap.snmp.session import SnmpClient
from portmap.state import load_baselines, save_baselines

CLEAR_SCREEN = "\x1b[2J\x1b[H"
TABLES_EVERY_S = 60.0
"""Forwarding tables, ARP, LLDP and CDP change slowly: by default read them this often, not every poll."""


SAVE_BASELINES_EVERY = 12
"""live saves the baselines every this many polls (and when it stops)."""


def _detector(state: Path | None) -> Detector:
    return Detector(baselines=load_baselines(state) if state else {})


async def run_top(devices: Sequence[Device], interval_s: float, limit: int, sort: str, as_json: bool,
                  dns: ReverseDns | None, state: Path | None) -> int:
    """Poll, wait, poll again, print the ranked ports. Exit 1 when a device did not answer.
    `state`: the baselines file to compare with and to add this run to (None: start blind, keep nothing)."""
    client = SnmpClient()
    try:
        engine = Engine(devices, client, sort=sort, detector=_detector(state))
        first, neighbourhood = await asyncio.gather(engine.poll(), read_neighbourhood(client, devices, dns))
        engine.uplinks = frozenset(neighbourhood.uplinks)
        await asyncio.sleep(interval_s)
        second = await engine.poll()
    finally:
        client.close()
    if state:
        save_baselines(state, engine.detector.baselines)
    measured = _measured_interval(second) or interval_s
    if as_json:
        print(json.dumps(render_json(second, measured, first.failed, neighbourhood), indent=2))
    else:
        print(render_table(second, limit, first.failed, neighbourhood))
    return 1 if second.failed or first.failed else 0


def _measured_interval(snapshot: Snapshot) -> float | None:
    intervals = [p.rates.interval_s for p in snapshot.ports if p.rates.interval_s > 0]
    return sum(intervals) / len(intervals) if intervals else None


async def run_live(devices: Sequence[Device], interval_s: float, limit: int, sort: str, dns: ReverseDns | None,
                   state: Path | None, tables_every_s: float = TABLES_EVERY_S, rounds: int | None = None,
                   as_json: bool = False) -> int:
    """Redraw the top table every interval, or print one JSON line per poll (`as_json`, for scripts
    and `jq`); the next poll starts when the last one ends."""
    client = SnmpClient()
    engine = Engine(devices, client, sort=sort, detector=_detector(state))
    previous_failed: tuple[DeviceStatus, ...] = ()
    neighbourhood: Neighbourhood | None = None
    tables_read_at = float("-inf")
    done = 0
    try:
        while rounds is None or done < rounds:
            started = time.monotonic()
            if started - tables_read_at >= tables_every_s:
                snapshot, fresh = await asyncio.gather(engine.poll(), read_neighbourhood(client, devices, dns))
                engine.uplinks = frozenset(fresh.uplinks)
                neighbourhood, tables_read_at = fresh, started
            else:
                snapshot = await engine.poll()
            earlier_failures = previous_failed if done == 1 else ()
            if as_json:
                document = render_json(snapshot, _measured_interval(snapshot) or interval_s, earlier_failures, neighbourhood)
                sys.stdout.write(json.dumps(document) + "\n")
            else:
                header = f"portmap: {len(devices)} devices, every {interval_s:g}s (Ctrl-C to quit)\n"
                frame = render_table(snapshot, limit, earlier_failures, neighbourhood)
                sys.stdout.write(CLEAR_SCREEN + header + frame + "\n")
            sys.stdout.flush()
            previous_failed = snapshot.failed
            done += 1
            if state and done % SAVE_BASELINES_EVERY == 0:
                save_baselines(state, engine.detector.baselines)
            await asyncio.sleep(max(0.0, interval_s - (time.monotonic() - started)))
    finally:
        client.close()
        if state:
            save_baselines(state, engine.detector.baselines)
    return 0


async def _check_one(client: SnmpClient, device: Device) -> SystemInfo | SnmpError:
    try:
        return await read_system(client.session(device))
    except SnmpError as error:
        return error


async def run_inventory_check(devices: Sequence[Device]) -> int:
    client = SnmpClient()
    try:
        results = await asyncio.gather(*(_check_one(client, d) for d in devices))
    finally:
        client.close()
    print(f"{'DEVICE':12}  {'ADDRESS':21}  {'SYSNAME':16}  {'UPTIME':>10}  {'IFS':>4}  RESULT")
    failures = 0
    for device, result in zip(devices, results):
        address = f"{device.host}:{device.port}"
        if isinstance(result, PortmapError):
            failures += 1
            print(f"{device.name:12}  {address:21}  {'-':16}  {'-':>10}  {'-':>4}  FAILED: {str(result).removeprefix(device.name + ': ')}")
            continue
        uptime = _uptime(result.sys_uptime_cs)
        interfaces = "-" if result.if_number is None else str(result.if_number)
        descr = result.sys_descr.splitlines()[0][:50] if result.sys_descr else ""
        print(f"{device.name:12}  {address:21}  {result.sys_name[:16]:16}  {uptime:>10}  {interfaces:>4}  ok: {descr}")
    print(f"{len(devices) - failures}/{len(devices)} devices answered")
    return 1 if failures else 0


def _uptime(centiseconds: int) -> str:
    seconds = centiseconds // 100
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    return f"{days}d{hours:02d}h{seconds // 60:02d}m" if days else f"{hours}h{seconds // 60:02d}m{seconds % 60:02d}s"
