"""Cost of one poll's rates, detection and ranking for 10k, 100k and 1M ports: CPU and memory per port.

Usage: python bench/detect.py [--ports 10000 100000 1000000]
Rates and detection are measured apart from ranking (the faces' order; records are built only
for flagged ports, the rest when a face reads them). The last line is machine-readable.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from portmap.core.detector import Detector
from portmap.core.ranking import rank_rates
from portmap.core.rates import DeviceRates, compute_device_rates
from portmap.core.samples import COUNTER_NAMES, DeviceSample, InterfaceInfo

PORTS_PER_DEVICE = 48
INTERFACES = {i: InterfaceInfo(i, f"Gi1/0/{i}", "", "", 6, 10**9, "", "up") for i in range(1, PORTS_PER_DEVICE + 1)}
_CEILINGS = {"octets": 0, "ucast": 5000, "mcast": 100, "bcast": 100, "nucast": 0, "errors": 10, "discards": 10}


def _increases() -> np.ndarray:
    """Increase per poll: an office network's ports, mostly unicast, a few errors; octets are the
    packets times a port-specific frame of 64-1500 B (a real port's octets and packets agree)."""
    rates = (np.arange(1, PORTS_PER_DEVICE + 1)[:, None] * 131 + np.arange(len(COUNTER_NAMES))[None, :] * 17) % np.array(
        [_CEILINGS[name.split("_")[1]] + 1 for name in COUNTER_NAMES])
    sizes = 64 + (np.arange(1, PORTS_PER_DEVICE + 1) * 97) % 1437
    for side in ("in", "out"):
        packets = sum(rates[:, COUNTER_NAMES.index(f"{side}_{kind}")] for kind in ("ucast", "mcast", "bcast"))
        rates[:, COUNTER_NAMES.index(f"{side}_octets")] = packets * sizes
    return rates


_RATES = _increases()


def device_samples(devices: int, t: float, step: int) -> list[DeviceSample]:
    """Every device's counters as the poller reads them: 64-bit, moving at port-specific rates."""
    values = (10**9 + step * _RATES).astype(np.uint64)
    widths = np.full(values.shape, 64, np.uint8)
    widths[:, [COUNTER_NAMES.index("in_nucast"), COUNTER_NAMES.index("out_nucast")]] = 0
    if_indexes = np.arange(1, PORTS_PER_DEVICE + 1, dtype=np.int64)
    return [DeviceSample(f"sw{d}", t, int(t * 100), t, if_indexes, np.ones(PORTS_PER_DEVICE, np.int8),
                         np.zeros(PORTS_PER_DEVICE, np.int64), values.copy(), widths.copy()) for d in range(devices)]


def rates_of(before: list[DeviceSample], after: list[DeviceSample]) -> list[DeviceRates]:
    return [compute_device_rates(prev, cur, INTERFACES) for prev, cur in zip(before, after)]


def measure(ports: int) -> tuple[float, float, float]:
    """CPU microseconds per port of rates + detection and of ranking, against warm baselines, and the
    bytes held per port between polls (the last sample and the baselines)."""
    devices = ports // PORTS_PER_DEVICE
    tracemalloc.start()
    detector = Detector()
    first = device_samples(devices, 100.0, 1)
    second = device_samples(devices, 105.0, 2)
    detector.observe(rates_of(first, second), 105.0)
    del first
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    third = device_samples(devices, 110.0, 3)
    started = time.process_time()
    rates = rates_of(second, third)
    detections = detector.observe(rates, 110.0)
    detected = time.process_time()
    ranked = rank_rates(rates, {k: d.flags for k, d in detections.items()})
    done = time.process_time()
    return (detected - started) / len(ranked) * 1e6, (done - detected) / len(ranked) * 1e6, held / ports


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ports", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args()
    line = ""
    for ports in args.ports:
        detect_us, rank_us, per_port = measure(ports)
        print(f"{ports} ports: rates + detection {detect_us:.2f} us CPU per port per poll, ranking for the faces "
              f"{rank_us:.2f} us; {per_port:.0f} B per port held between polls (last sample, baselines)", flush=True)
        line = (f"ports={ports} detect_cpu_us_per_port={detect_us:.2f} rank_cpu_us_per_port={rank_us:.2f} "
                f"bytes_per_port={per_port:.0f}")
    print(line)


if __name__ == "__main__":
    main()
