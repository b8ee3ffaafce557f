"""How long a Prometheus scrape of `portmap run --listen` takes to render: the exposition of the
last snapshot of 1,000 switches x 48 ports (every if_mib counter and gauge, portmap's own series),
against the target of under 1 s. A scrape never polls: this is all it costs.

Usage: python bench/metrics.py [--switches 1000]
The last line is machine-readable.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.detect import INTERFACES, PORTS_PER_DEVICE, device_samples, rates_of  # noqa: E402
from portmap.core.ranking import rank_rates  # noqa: E402
from portmap.core.samples import InterfacesByPort  # noqa: E402
from portmap.core.snapshot import DeviceStatus, Snapshot  # noqa: E402
from portmap.present.metrics import exposition  # noqa: E402


def snapshot(switches: int) -> Snapshot:
    before, after = device_samples(switches, 0.0, 1), device_samples(switches, 5.0, 2)
    interfaces = InterfacesByPort({f"sw{d}": INTERFACES for d in range(switches)})
    return Snapshot(5.0, 0.1, rank_rates(rates_of(before, after), {}), interfaces, {},
                    tuple(DeviceStatus(f"sw{d}", True, 0.01) for d in range(switches)), samples=tuple(after))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--switches", type=int, default=1000)
    args = parser.parse_args()
    shown = snapshot(args.switches)
    timings, size, lines = [], 0, 0
    for _ in range(5):
        started = time.perf_counter()
        text = exposition(shown)
        timings.append(time.perf_counter() - started)
        size, lines = len(text.encode()), text.count("\n")
    median = statistics.median(timings)
    print(f"{args.switches} switches x {PORTS_PER_DEVICE} ports: a scrape renders {lines} lines ({size / 1e6:.0f} MB) in "
          f"{median * 1000:.0f} ms (median of 5; target under 1,000 ms)")
    print(f"switches={args.switches} render_ms={median * 1000:.0f} lines={lines} bytes={size}")


if __name__ == "__main__":
    main()
