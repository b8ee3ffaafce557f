"""`portmap demo`: serve the simulated network, and open the TUI (or the text view) on it."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from portmap.cli.commands import run_live
from portmap.cli.ui_cmd import run_ui
from portmap.watch import WatchSettings
from portmap.demo.inventory import demo_inventory
from portmap.demo.lab import SimulatedNetwork
from portmap.demo.network import default_network
from portmap.errors import PortmapError
from portmap.inventory.loader import load_inventory

DEMO_INVENTORY = Path("inventory/demo.yaml")


class DemoError(PortmapError):
    pass


async def run_demo(args: argparse.Namespace) -> int:
    network = default_network(flood_after_s=args.flood_after)
    simulator = SimulatedNetwork(network)
    try:
        simulator.start()
    except Exception as exc:  # pysnmp wraps the bind failure in its own error types
        raise DemoError(f"cannot start the demo agents on 127.0.0.1:{network.devices[0].agent_port}+: {exc}") from None
    try:
        if args.no_ui:
            for spec in network.devices:
                print(f"serving {spec.name} on udp 127.0.0.1:{spec.agent_port} (community {spec.community})")
            print(f"web1 starts flooding {args.flood_after:g}s after start; Ctrl-C to stop", flush=True)
            await asyncio.sleep(args.duration if args.duration else float("inf"))
            return 0
        location = getattr(args, "inventory", None) or (DEMO_INVENTORY if DEMO_INVENTORY.exists() else None)
        inventory = load_inventory(location) if location else demo_inventory(network)
        # the demo's hosts have documentation addresses no resolver knows (no reverse DNS), and its
        # device names must not mix with a real network's saved baselines (no state)
        settings = WatchSettings(args.interval)
        if sys.stdout.isatty():
            return await run_ui(inventory.devices, settings, args.duration)
        rounds = None if args.duration is None else max(1, int(args.duration // args.interval))
        return await run_live(inventory.devices, args.limit, settings, rounds=rounds)
    finally:
        simulator.stop()
        sys.stdout.flush()
