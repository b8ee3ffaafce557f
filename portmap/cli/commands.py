"""What each command does, over the engine; printing stays here, deciding stays in the core."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Sequence

from portmap.cli.render import render_json, render_table
from portmap.core.samples import SystemInfo
from portmap.errors import PortmapError, SnmpError
from portmap.inventory.model import Device
from portmap.poller import Snapshot
from portmap.snmp.ifmib import read_system
from portmap.snmp.session import SnmpClient
from portmap.watch import Frame, WatchSettings, watch

CLEAR_SCREEN = "\x1b[2J\x1b[H"


async def run_top(devices: Sequence[Device], limit: int, as_json: bool, settings: WatchSettings) -> int:
    """Poll, wait, poll again, print the ranked ports. Exit 1 when a device did not answer.
    The two polls are the watch loop's first two (settings.state: the baselines file to compare
    with and to add this run to)."""
    frames: list[Frame] = []
    await watch(devices, settings, frames.append, rounds=2)
    second = frames[-1]
    snapshot = second.snapshot
    measured = _measured_interval(snapshot) or settings.interval_s
    if as_json:
        print(json.dumps(render_json(snapshot, measured, second.earlier_failures, second.neighbourhood), indent=2))
    else:
        print(render_table(snapshot, limit, second.earlier_failures, second.neighbourhood))
    return 1 if snapshot.failed or second.earlier_failures else 0


def _measured_interval(snapshot: Snapshot) -> float | None:
    intervals = [p.rates.interval_s for p in snapshot.ports if p.rates.interval_s > 0]
    return sum(intervals) / len(intervals) if intervals else None


async def run_live(devices: Sequence[Device], limit: int, settings: WatchSettings, rounds: int | None = None,
                   as_json: bool = False) -> int:
    """Redraw the top table every interval, or print one JSON line per poll (`as_json`, for scripts and `jq`)."""

    def show(frame: Frame) -> None:
        snapshot = frame.snapshot
        if as_json:
            interval = _measured_interval(snapshot) or settings.interval_s
            sys.stdout.write(json.dumps(render_json(snapshot, interval, frame.earlier_failures, frame.neighbourhood)) + "\n")
        else:
            header = f"portmap: {len(devices)} devices, every {settings.interval_s:g}s (Ctrl-C to quit)\n"
            table = render_table(snapshot, limit, frame.earlier_failures, frame.neighbourhood)
            sys.stdout.write(CLEAR_SCREEN + header + table + "\n")
        sys.stdout.flush()

    await watch(devices, settings, show, rounds)
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
