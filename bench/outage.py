"""A poll cycle during an outage: N answering 48-port switches, then the same with S silent ones.

Usage: python bench/outage.py [--devices 1000] [--silent 200] [--timeout 2]
The silent devices are addresses where nothing listens (no answer, only their timeout). The
last line is machine-readable.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from poll import BASE_PORT, bench_device, start_agents  # bench/poll.py, beside this script

from portmap.inventory.model import Device
from portmap.engine.poller import Engine
from portmap.snmp.session import SnmpClient

SILENT_BASE_PORT = 40000


async def slowest_cycle(devices: list[Device], cycles: int = 3) -> float:
    """The slowest of `cycles` polls after the first two (interface lists, plans)."""
    client = SnmpClient()
    engine = Engine(devices, client)
    walls = []
    for n in range(cycles + 2):
        started = time.monotonic()
        await engine.poll()
        if n >= 2:
            walls.append(time.monotonic() - started)
    client.close()
    return max(walls)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--silent", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args()
    agents = start_agents(args.devices)
    try:
        answering = [bench_device(f"sw{BASE_PORT + n}", BASE_PORT + n, args.timeout) for n in range(args.devices)]
        silent = [bench_device(f"dead{n}", SILENT_BASE_PORT + n, args.timeout) for n in range(args.silent)]
        alone = asyncio.run(slowest_cycle(answering))
        outage = asyncio.run(slowest_cycle(answering + silent))
    finally:
        for agent in agents:
            agent.communicate("")
    print(f"{args.devices} answering switches: slowest cycle {alone:.2f} s; with {args.silent} silent devices "
          f"({args.timeout:g} s timeout, 1 retry): {outage:.2f} s")
    print(f"devices={args.devices} silent={args.silent} cycle_wall_s={alone:.2f} outage_cycle_wall_s={outage:.2f}")


if __name__ == "__main__":
    main()
