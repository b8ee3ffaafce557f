"""Cost of one rate, detection and ranking cycle for 10k, 100k and 1M ports: CPU and memory per port.

Usage: python bench/detect.py [--ports 10000 100000 1000000]
The last line is machine-readable.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

from portmap.core.detector import Detector
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


INTERFACES = {i: InterfaceInfo(i, f"Gi1/0/{i}", "", "", 6, 10**9, "", "up") for i in range(1, PORTS_PER_DEVICE + 1)}


def cycle(before: list[DeviceSample], after: list[DeviceSample], detector: Detector) -> int:
    """One rates + detection + ranking cycle; how many ports it ranked."""
    rates = [r for prev, cur in zip(before, after) for r in compute_device_rates(prev, cur, INTERFACES)]
    detections = detector.observe(rates, after[0].time_s)
    return len(rank_ports(rates, {k: d.flags for k, d in detections.items()}))


def measure(ports: int) -> tuple[float, float]:
    """CPU microseconds per port of a cycle against warm baselines, and the bytes held per port
    between cycles (one counter sample and the port's baselines)."""
    devices = ports // PORTS_PER_DEVICE
    tracemalloc.start()
    detector = Detector()
    first = device_samples(devices, 100.0, 1)
    second = device_samples(devices, 105.0, 2)
    cycle(first, second, detector)
    del first
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    third = device_samples(devices, 110.0, 3)
    started = time.process_time()
    ranked = cycle(second, third, detector)
    cpu = time.process_time() - started
    return cpu / ranked * 1e6, held / ports


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ports", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args()
    line = ""
    for ports in args.ports:
        us, per_port = measure(ports)
        print(f"{ports} ports: rates + detection + ranking {us:.2f} us CPU per port per cycle; "
              f"{per_port:.0f} B per port held between cycles (one counter sample, its baselines)", flush=True)
        line = f"ports={ports} detect_cpu_us_per_port={us:.2f} bytes_per_port={per_port:.0f}"
    print(line)


if __name__ == "__main__":
    main()
