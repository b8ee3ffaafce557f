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


RATE_CEILING = {"ucast": 10**3, "mcast": 20, "bcast": 20, "errors": 2, "discards": 2}
"""Per-second rates stay under these: an office network's ports, mostly unicast, a few errors."""
FRAME_BYTES = (64, 1500)
"""Each port's average frame lies in this range: its octets are its packets times that size."""


def _port_rates(name: str, if_index: int) -> list[int]:
    """A port's rate per FIELDS: packets at port-specific rates, octets their packets times a
    port-specific frame size (a real port's octets and packets agree)."""
    def crc(field: str) -> int:
        return zlib.crc32(f"{name}:{if_index}:{field}".encode())

    rates = {f: crc(f) % RATE_CEILING[f.split("_")[1]] for f in FIELDS if not f.endswith("octets")}
    for side in ("in", "out"):
        size = FRAME_BYTES[0] + crc(f"{side}_size") % (FRAME_BYTES[1] - FRAME_BYTES[0] + 1)
        rates[f"{side}_octets"] = size * sum(rates[f"{side}_{kind}"] for kind in ("ucast", "mcast", "bcast"))
    return [rates[f] for f in FIELDS]


class SteadyCounters:
    """Counters that grow at a fixed, port-specific rate: realistic sizes, no traffic model to pay for."""

    def __init__(self, name: str, started: float) -> None:
        self.started = started
        self.rates = {i: _port_rates(name, i) for i in range(1, PORTS + 1)}
        self.base = 10**9
        self._read: tuple[int, float, dict[str, int]] = (0, 0.0, {})

    def port(self, if_index: int) -> dict[str, int]:
        """A port's counters now; one request asks for each of them in turn, and gets them all
        from one computation while the clock has not moved by a millisecond."""
        now = time.monotonic()
        last_index, last_time, last = self._read
        if last_index == if_index and now - last_time < 0.001:
            return last
        elapsed = now - self.started
        counters = {f: self.base + int(rate * elapsed) for f, rate in zip(FIELDS, self.rates[if_index])}
        self._read = (if_index, now, counters)
        return counters


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
