"""TUI responsiveness with 200 devices and 10,000 ports: key press to redrawn screen, and frame to screen.

Usage: python bench/tui.py [--devices 200] [--ports-per-device 50]
Runs the real app headless (Textual's pilot) on synthetic frames that arrive every 2 s, as
the watch loop would post them, and times each new frame until it is on the screen; then
times each key press until the app is idle again with the screen updated, minus what the
same key costs the pilot on an empty app (its own floor, about 85 ms here). The last line
is machine-readable.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Static

from portmap.core.detector import Detector
from portmap.core.ranking import rank_rates
from portmap.core.rates import DirectionRates, PortRates, RateStatus, by_device
from portmap.core.samples import InterfaceInfo
from portmap.core.snapshot import DeviceStatus, Snapshot
from portmap.tui.app import PortmapApp
from portmap.core.snapshot import Frame

KEYS = ["2", "3", "4", "5", "1", "down", "down", "down", "pagedown", "slash", "s", "w", "1", "7", "escape", "p", "p"]


def make_frame(devices: int, ports_per_device: int, number: int, detector: Detector) -> Frame:
    rates, interfaces = [], {}
    for d in range(devices):
        name = f"sw{d:03d}"
        for i in range(1, ports_per_device + 1):
            pps = 50.0 + (d * 31 + i * 17 + number * 7) % 900
            if (d, i) == (7, 5) and number > 3:
                pps = 40_000.0  # a flood appears in the fourth frame
            side = DirectionRates.measured(pps * 600 * 8, pps, 0.0, 0.0, 0.0, 0.0)
            rates.append(PortRates(name, i, 2.0, RateStatus.OK, inbound=side, outbound=side, speed_bps=10**9))
            interfaces[(name, i)] = InterfaceInfo(i, f"Gi1/0/{i}", f"GigabitEthernet1/0/{i}", f"desk {d}-{i}", 6, 10**9, "", "up")
    now = time.time()
    device_rates = by_device(rates)
    detections = detector.observe(device_rates, now)
    ranked = rank_rates(device_rates, {k: v.flags for k, v in detections.items()})
    statuses = tuple(DeviceStatus(f"sw{d:03d}", True, 0.05) for d in range(devices))
    snapshot = Snapshot(now, 0.4, ranked, interfaces, dict.fromkeys(interfaces, "up"), statuses)
    return Frame(snapshot, None, (), number)


async def measure(devices: int, ports_per_device: int) -> tuple[list[float], list[float]]:
    frames = [make_frame(devices, ports_per_device, n, Detector()) for n in range(1, 7)]
    arrivals: list[float] = []

    async def source(show: Callable[[Frame], object]) -> None:
        for frame in frames:
            arrivals.append(time.perf_counter())
            show(frame)
            await asyncio.sleep(2.0)
        await asyncio.sleep(3600)

    app = PortmapApp(source, devices, 2.0, {})
    shown: list[float] = []
    async with app.run_test(size=(200, 50)) as pilot:
        seen = 0
        while seen < len(frames):
            await pilot.pause(0.01)
            if app.frame is not None and app.frame.number > seen:
                seen = app.frame.number
                shown.append(time.perf_counter() - arrivals[seen - 1])
        presses = await press_all(pilot)
    return presses, shown


async def press_all(pilot: Pilot[object]) -> list[float]:
    """Seconds from each key press until the app is idle again with its screen updated."""
    presses = []
    for key in KEYS:
        started = time.perf_counter()
        await pilot.press(key)
        await pilot.pause()
        presses.append(time.perf_counter() - started)
    return presses


class Empty(App[None]):
    """The same keys on an app that does nothing with them: the pilot's own cost per key."""

    def compose(self) -> ComposeResult:
        yield Static("empty")


async def pilot_floor() -> list[float]:
    async with Empty().run_test(size=(200, 50)) as pilot:
        return await press_all(pilot)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--ports-per-device", type=int, default=50)
    args = parser.parse_args()
    ports = args.devices * args.ports_per_device
    presses, shown = asyncio.run(measure(args.devices, args.ports_per_device))
    floor = asyncio.run(pilot_floor())
    net = [max(0.0, p - f) for p, f in zip(presses, floor)]
    print("per key, ms (portmap / empty app): " + ", ".join(f"{k} {p * 1000:.0f}/{f * 1000:.0f}" for k, p, f in zip(KEYS, presses, floor)))
    print(f"{args.devices} devices, {ports} ports: key press to redraw, beyond the pilot's own cost: median "
          f"{statistics.median(net) * 1000:.0f} ms, max {max(net) * 1000:.0f} ms (raw median {statistics.median(presses) * 1000:.0f} ms, "
          f"empty app {statistics.median(floor) * 1000:.0f} ms); new frame to screen: median {statistics.median(shown) * 1000:.0f} ms, "
          f"max {max(shown) * 1000:.0f} ms (the first includes building the screen)")
    print(f"devices={args.devices} ports={ports} key_to_redraw_ms_median={statistics.median(net) * 1000:.0f} "
          f"key_to_redraw_ms_max={max(net) * 1000:.0f} frame_to_screen_ms_median={statistics.median(shown) * 1000:.0f}")


if __name__ == "__main__":
    main()
