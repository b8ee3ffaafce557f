"""Cost of one rate-computation and ranking cycle for 10k, 100k and 1M ports: CPU and memory per port.

Usage: python bench/detect.py [--ports 10000 100000 1000000]
The last line is machine-readable.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

from portmap.core.flags import rank_ports
from portmap.core.rates import compute_device_rates
from portmap.core.samples import COUNTER_NAMES, Counter, DeviceSample, InterfaceInfo, PortCounters

PORTS_PER_DEVICE = 48
NAMES = [n for n in COUNTER_NAMES if "nucast" not in n]


def device_samples(devices: int, t: float, step: int) -> list[DeviceSample]:
    samples = []
    for d in range(devices):
        ports = {
            i: PortCounters(i, "up", 0, {n: Counter(10**9 + step * (i * 131 + k * 17) % 10**6, 64) for k, n in enumerate(NAMES)})
            for i in range(1, PORTS_PER_DEVICE + 1)
        }
        samples.append(DeviceSample(f"sw{d}", t, int(t * 100), t, ports))
    return samples


def one_cycle(ports: int) -> tuple[float, int]:
    """CPU seconds of one rates + ranking cycle, and how many ports it ranked."""
    devices = ports // PORTS_PER_DEVICE
    interfaces = {i: InterfaceInfo(i, f"Gi1/0/{i}", "", "", 6, 10**9, "", "up") for i in range(1, PORTS_PER_DEVICE + 1)}
    before = device_samples(devices, 100.0, 1)
    after = device_samples(devices, 105.0, 2)
    started = time.process_time()
    rates = [r for prev, cur in zip(before, after) for r in compute_device_rates(prev, cur, interfaces)]
    ranked = rank_ports(rates)
    return time.process_time() - started, len(ranked)


def bytes_per_port(ports: int) -> float:
    """Memory the poller holds per port between cycles: one sample of its counters."""
    tracemalloc.start()
    samples = device_samples(ports // PORTS_PER_DEVICE, 100.0, 1)
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del samples
    return held / ports


def measure(ports: int) -> tuple[float, float]:
    cpu, ranked = one_cycle(ports)
    return cpu / ranked * 1e6, bytes_per_port(ports)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ports", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args()
    line = ""
    for ports in args.ports:
        us, per_port = measure(ports)
        print(f"{ports} ports: rates + ranking {us:.2f} us CPU per port per cycle; "
              f"{per_port:.0f} B per port held between cycles (one counter sample)", flush=True)
        line = f"ports={ports} detect_cpu_us_per_port={us:.2f} bytes_per_port={per_port:.0f}"
    print(line)


if __name__ == "__main__":
    main()
