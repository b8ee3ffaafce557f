"""Poller cost against N simulated 48-port switches, beside net-snmp's snmpbulkwalk on the same agents.

Usage: python bench/poll.py [--devices 1 10 100 1000] [--cycles 3] [--v3]
With --v3, agents and pollers speak SNMPv3 authPriv (SHA, AES-128) instead of v2c.
The agents (bench/lean_agents.py: the demo switches' MIB view answered through the lean codec,
so that a thousand of them do not slow what they measure) run in other processes; their CPU
is reported apart from the poller's. The last line is machine-readable.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from portmap.inventory.model import Device, Secret, SnmpSettings
from portmap.engine.poller import Engine
from portmap.snmp import oids
from portmap.snmp.session import SnmpClient
from lean_agents import V3_AUTH, V3_PRIV, V3_USER  # bench/lean_agents.py, beside this script

HERE = Path(__file__).resolve().parent
AGENTS_PER_PROCESS = 250
BASE_PORT = 30000
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
COUNTER_TABLES = (".".join(map(str, oids.ifIndex.oid[:-1])), ".".join(map(str, oids.ifName.oid[:-1])))
"""ifTable and ifXTable whole: one snmpbulkwalk each, so process start weighs as little as it can."""


def cpu_of(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


V3_SETTINGS = SnmpSettings("3", user=V3_USER, security_level="authPriv", auth_protocol="sha", auth_password=Secret(V3_AUTH),
                           priv_protocol="aes128", priv_password=Secret(V3_PRIV))
V3_NETSNMP = ["-v3", "-l", "authPriv", "-u", V3_USER, "-a", "SHA", "-A", V3_AUTH, "-x", "AES", "-X", V3_PRIV]


def bench_device(name: str, port: int, timeout_s: float = 5.0, v3: bool = False) -> Device:
    """An inventory entry for a simulated switch on 127.0.0.1 (v2c, community public, or v3; one retry)."""
    snmp = V3_SETTINGS if v3 else SnmpSettings("2c", Secret("public"))
    return Device(name, "127.0.0.1", port, frozenset({"switch"}), snmp, timeout_s, 1)


def start_agents(count: int, v3: bool = False) -> list[subprocess.Popen[str]]:
    processes = []
    for first in range(0, count, AGENTS_PER_PROCESS):
        processes.append(subprocess.Popen(
            [sys.executable, str(HERE / "lean_agents.py"), str(BASE_PORT + first), str(min(AGENTS_PER_PROCESS, count - first)),
             *(["v3"] if v3 else [])],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        ))
    for process in processes:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return processes


def rss_now_mib() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def poll_cost(devices: list[Device], cycles: int, agent_pids: list[int]) -> dict[str, float]:
    rss_before = rss_now_mib()
    client = SnmpClient()
    engine = Engine(devices, client)
    cpu_before, started = own_cpu(), time.monotonic()
    await engine.poll()  # the first: interface lists, plans, counter-cache checks
    first = {"first_wall_s": time.monotonic() - started, "first_cpu_s": own_cpu() - cpu_before}
    await engine.poll()
    varbinds_before = engine.varbinds_received()
    cpu_before, agents_before, started = own_cpu(), cpu_of(agent_pids), time.monotonic()
    walls, responses = [], []
    for _ in range(cycles):
        snapshot = await engine.poll()
        walls.append(snapshot.poll_s)
        responses += [device.response_s for device in snapshot.devices]
        assert not snapshot.failed, [d.error for d in snapshot.failed]
    client.close()
    varbinds = engine.varbinds_received() - varbinds_before
    return {
        "varbinds": varbinds,
        "cpu_s": own_cpu() - cpu_before,
        "agent_cpu_s": cpu_of(agent_pids) - agents_before,
        "wall_s": time.monotonic() - started,
        "cycle_wall_s": max(walls),
        "device_median_s": statistics.median(responses),
        "device_max_s": max(responses),
        "rss_before_mib": rss_before,
        **first,
    }


def netsnmp_cost(devices: list[Device], cycles: int) -> dict[str, float]:
    cpu_before, varbinds = children_cpu(), 0
    for _ in range(cycles):
        for device in devices:
            security = V3_NETSNMP if device.snmp.version == "3" else ["-v2c", "-c", "public"]
            for table in COUNTER_TABLES:
                out = subprocess.run(
                    ["snmpbulkwalk", *security, "-Cr25", "-On", "-Oq", f"{device.host}:{device.port}", table],
                    capture_output=True, text=True, check=True,
                ).stdout
                varbinds += out.count("\n")
    return {"varbinds": varbinds, "cpu_s": children_cpu() - cpu_before}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--v3", action="store_true", help="SNMPv3 authPriv (SHA, AES-128) instead of v2c")
    args = parser.parse_args()
    line = ""
    for count in args.devices:
        agents = start_agents(count, args.v3)
        try:
            devices = [bench_device(f"sw{BASE_PORT + n}", BASE_PORT + n, v3=args.v3) for n in range(count)]
            ours = asyncio.run(poll_cost(devices, args.cycles, [a.pid for a in agents]))
            theirs = netsnmp_cost(devices, args.cycles)
        finally:
            for agent in agents:
                agent.communicate("")
        ours_ms = ours["cpu_s"] * 1000 / (ours["varbinds"] / 1000)
        theirs_ms = theirs["cpu_s"] * 1000 / (theirs["varbinds"] / 1000)
        rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        per_port_kib = (rss_mib - ours["rss_before_mib"]) * 1024 / (count * 48)
        print(f"{count} switches x 48 ports ({'v3 authPriv' if args.v3 else 'v2c'}), {args.cycles} cycles: poller {ours['varbinds']:.0f} varbinds, "
              f"{ours['cpu_s']:.2f} s CPU ({ours_ms:.1f} ms/1k vb), {ours['varbinds'] / ours['wall_s']:.0f} vb/s, "
              f"slowest cycle {ours['cycle_wall_s']:.2f} s (a device's read: median {ours['device_median_s']:.2f} s, "
              f"slowest {ours['device_max_s']:.2f} s); agents {ours['agent_cpu_s']:.2f} s CPU; "
              f"snmpbulkwalk {theirs['varbinds']:.0f} varbinds, {theirs['cpu_s']:.2f} s CPU ({theirs_ms:.1f} ms/1k vb); "
              f"peak RSS {rss_mib:.0f} MiB, {rss_mib - ours['rss_before_mib']:.0f} MiB of it grown while polling "
              f"({per_port_kib:.2f} KiB per port); the first poll (interface lists, plans) took {ours['first_wall_s']:.1f} s, "
              f"{ours['first_cpu_s']:.1f} s of poller CPU", flush=True)
        line = (f"devices={count} ports={count * 48} snmp={'v3' if args.v3 else 'v2c'} varbinds={ours['varbinds']:.0f} "
                f"poller_cpu_ms_per_1k_vb={ours_ms:.1f} netsnmp_cpu_ms_per_1k_vb={theirs_ms:.1f} "
                f"ratio={ours_ms / theirs_ms:.1f} cycle_wall_s={ours['cycle_wall_s']:.2f} rss_mib={rss_mib:.0f} "
                f"rss_kib_per_port={per_port_kib:.2f}")
    print(line)


if __name__ == "__main__":
    main()
