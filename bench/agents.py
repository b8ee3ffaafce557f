"""Benchmark agents: COUNT simulated 48-port switches with moving counters, in this one process.

Usage: python bench/agents.py BASE_PORT COUNT   (prints 'ready', serves until stdin closes)
"""

from __future__ import annotations

import asyncio
import sys
import time
import zlib

from portmap.demo.agent import SimulatedAgent
from portmap.demo.mib import build_view
from portmap.demo.network import GIGABIT, DeviceSpec, PortSpec

PORTS = 48
FIELDS = ("in_octets", "out_octets", "in_ucast", "out_ucast", "in_mcast", "out_mcast",
          "in_bcast", "out_bcast", "in_errors", "out_errors", "in_discards", "out_discards")


class SteadyCounters:
    """Counters that grow at a fixed, port-specific rate: realistic sizes, no traffic model to pay for."""

    def __init__(self, name: str, started: float) -> None:
        self.started = started
        self.rates = {
            i: [zlib.crc32(f"{name}:{i}:{f}".encode()) % (10**6 if "octets" in f else 10**3) for f in FIELDS]
            for i in range(1, PORTS + 1)
        }
        self.base = 10**9

    def port(self, if_index: int) -> dict[str, int]:
        elapsed = time.monotonic() - self.started
        return {f: self.base + int(rate * elapsed) for f, rate in zip(FIELDS, self.rates[if_index])}


def switch(name: str, port: int) -> DeviceSpec:
    ports = tuple(PortSpec(i, f"Gi1/0/{i}", f"GigabitEthernet1/0/{i}", GIGABIT, f"host{i}") for i in range(1, PORTS + 1))
    return DeviceSpec(name, port, ports)


async def main(base_port: int, count: int) -> None:
    started = time.monotonic()
    agents = []
    for n in range(count):
        spec = switch(f"sw{base_port + n}", base_port + n)
        counters = SteadyCounters(spec.name, started)
        agent = SimulatedAgent(spec, build_view(spec, counters, lambda: int((time.monotonic() - started) * 100)))
        agent.start()
        agents.append(agent)
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for agent in agents:
        agent.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
