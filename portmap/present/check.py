"""`portmap inventory check`: who each device says it is, or why it did not say."""

from __future__ import annotations

from collections.abc import Sequence

from portmap.core.samples import DeviceCheck
from portmap.errors import SnmpError
from portmap.inventory.model import Device
from portmap.present.text import fit, shown


def check_lines(devices: Sequence[Device], results: Sequence[DeviceCheck | SnmpError]) -> list[str]:
    """A line per device (in the inventory's order), then how many answered."""
    lines = [f"{'DEVICE':12}  {'ADDRESS':21}  {'SYSNAME':16}  {'UPTIME':>10}  {'IFS':>4}  RESULT"]
    failures = 0
    for device, result in zip(devices, results):
        address = device.address
        if isinstance(result, SnmpError):
            failures += 1
            lines.append(f"{device.name:12}  {address:21}  {'-':16}  {'-':>10}  {'-':>4}  "
                         f"FAILED: {str(result).removeprefix(device.name + ': ')}")
            continue
        system = result.system
        uptime = _uptime(system.sys_uptime_cs)
        interfaces = "-" if system.if_number is None else str(system.if_number)
        descr = shown((system.sys_descr.splitlines() or [""])[0], 50)
        walks = f"; {result.walks}" if result.walks else ""
        lines.append(f"{device.name:12}  {address:21}  {fit(shown(system.sys_name, 16), 16)}  {uptime:>10}  {interfaces:>4}  ok: {descr}{walks}")
    lines.append(f"{len(devices) - failures}/{len(devices)} devices answered")
    return lines


def check_json(devices: Sequence[Device], results: Sequence[DeviceCheck | SnmpError]) -> dict[str, object]:
    answered = []
    for device, result in zip(devices, results):
        entry: dict[str, object] = {"device": device.name, "address": device.address}
        if isinstance(result, SnmpError):
            entry |= {"ok": False, "error": str(result).removeprefix(device.name + ": "), "kind": type(result).__name__}
        else:
            system = result.system
            entry |= {"ok": True, "sys_name": system.sys_name, "sys_descr": system.sys_descr, "uptime_s": system.sys_uptime_cs / 100,
                      "if_number": system.if_number, "walks": result.walks or None}
        answered.append(entry)
    return {"devices": answered, "answered": sum(1 for e in answered if e["ok"]), "total": len(answered)}


def _uptime(centiseconds: int) -> str:
    seconds = centiseconds // 100
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    return f"{days}d{hours:02d}h{seconds // 60:02d}m" if days else f"{hours}h{seconds // 60:02d}m{seconds % 60:02d}s"
