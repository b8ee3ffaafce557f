"""`portmap`'s entry point: parses the arguments, hands the command to its face (the command
line in portmap/cli/, the TUI in portmap/tui/) and turns the outcome into an exit code (0 ok,
1 a device failed, 2 usage). The only module that imports a face."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Coroutine, Sequence
from typing import Any
from pathlib import Path

from portmap.core.flags import SORT_KEYS
from portmap.core.thresholds import FlagThresholds, tuned
from portmap.engine.dns import ReverseDns
from portmap.engine.state import default_state_path
from portmap.engine.watch import TABLES_EVERY_S, WatchSettings
from portmap.errors import PortmapError
from portmap.inventory.loader import load_inventory
from portmap.inventory.model import Device, Inventory

log = logging.getLogger("portmap")

DEFAULT_INVENTORY = "inventory"


class UsageError(PortmapError):
    pass


def _inventory_location(explicit: str | None) -> str:
    return explicit or os.environ.get("PORTMAP_INVENTORY") or DEFAULT_INVENTORY


def _devices(inventory: Inventory, names: Sequence[str] | None) -> tuple[Device, ...]:
    known = {d.name for d in inventory.devices}
    unknown = [n for n in names or () if n not in known]
    if unknown:
        raise UsageError(f"no device named {', '.join(unknown)} in the inventory (known: {', '.join(sorted(known))})")
    devices = inventory.select(list(names) if names else None)
    if not devices:
        raise UsageError(f"the inventory ({', '.join(inventory.files)}) lists no devices")
    return devices


def _state(args: argparse.Namespace) -> Path | None:
    return None if args.no_state else Path(args.state) if args.state else default_state_path()


def _dns(args: argparse.Namespace) -> ReverseDns | None:
    return None if getattr(args, "no_dns", False) else ReverseDns()


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="portmap", description="Find the port, and the host behind it, that floods your network.")
    parser.add_argument("--inventory", metavar="PATH", help="inventory file or folder (default: $PORTMAP_INVENTORY or ./inventory)")
    parser.add_argument("--state", metavar="PATH", help="baselines file kept between runs (default: $PORTMAP_STATE, "
                        "else $XDG_STATE_HOME/portmap/baselines.sqlite)")
    parser.add_argument("--no-state", action="store_true", help="start without saved baselines and save none")
    parser.add_argument("--log-level", choices=("error", "warning", "info", "debug"), default="warning",
                        help="what to log on stderr (default warning)")
    commands = parser.add_subparsers(dest="command")

    top = commands.add_parser("top", help="poll twice and print the busiest ports, ranked")
    top.add_argument("--inventory", metavar="PATH", default=argparse.SUPPRESS)
    top.add_argument("--interval", type=_positive, default=5.0, help="seconds between the two polls (default 5)")
    top.add_argument("--limit", type=int, default=20, help="ports to show (default 20)")
    top.add_argument("--sort", choices=sorted(SORT_KEYS), default="pps")
    top.add_argument("--device", action="append", metavar="NAME", help="only this device (repeatable)")
    top.add_argument("--json", action="store_true", help="print one JSON document")
    top.add_argument("--no-dns", action="store_true", help="do not look up host names by reverse DNS")

    ui = commands.add_parser("ui", help="the console TUI (the default command; the text view where the output is no terminal)")
    ui.add_argument("--inventory", metavar="PATH", default=argparse.SUPPRESS)
    ui.add_argument("--interval", type=_positive, default=5.0)
    ui.add_argument("--device", action="append", metavar="NAME")
    ui.add_argument("--no-dns", action="store_true")
    ui.add_argument("--tables-every", type=_positive, metavar="SECONDS")

    live = commands.add_parser("live", help="redraw the top table every interval as text (or JSON lines)")
    live.add_argument("--inventory", metavar="PATH", default=argparse.SUPPRESS)
    live.add_argument("--interval", type=_positive, default=5.0)
    live.add_argument("--limit", type=int, default=20)
    live.add_argument("--sort", choices=sorted(SORT_KEYS), default="pps")
    live.add_argument("--device", action="append", metavar="NAME")
    live.add_argument("--no-dns", action="store_true")
    live.add_argument("--json", action="store_true", help="one JSON document (as top's) per line, per poll")
    live.add_argument("--tables-every", type=_positive, metavar="SECONDS",
                      help="re-read forwarding, ARP, LLDP and CDP tables this often (default 60)")

    tables = commands.add_parser("tables", help="what each device's interface, forwarding, ARP and LLDP tables say")
    tables.add_argument("--inventory", metavar="PATH", default=argparse.SUPPRESS)
    tables.add_argument("--device", action="append", metavar="NAME")
    tables.add_argument("--json", action="store_true")

    find = commands.add_parser("find", help="where a MAC (any notation), an IP, a host name or a port description is plugged in")
    find.add_argument("query")
    find.add_argument("--inventory", metavar="PATH", default=argparse.SUPPRESS)
    find.add_argument("--device", action="append", metavar="NAME")
    find.add_argument("--json", action="store_true")
    find.add_argument("--no-dns", action="store_true")

    topology = commands.add_parser("map", help="the topology: devices joined by the links LLDP shows")
    topology.add_argument("--inventory", metavar="PATH", default=argparse.SUPPRESS)
    topology.add_argument("--device", action="append", metavar="NAME")
    topology.add_argument("--format", choices=("json", "dot", "graphml", "mermaid"), default="json")
    topology.add_argument("--hosts", action="store_true", help="with the hosts on their edge ports")

    inventory = commands.add_parser("inventory", help="inventory tools")
    inventory_commands = inventory.add_subparsers(dest="inventory_command", required=True)
    check = inventory_commands.add_parser("check", help="validate the inventory and ask every device who it is")
    check.add_argument("--inventory", metavar="PATH", default=argparse.SUPPRESS)
    check.add_argument("--device", action="append", metavar="NAME")

    demo = commands.add_parser("demo", help="run the simulated demo network (web1 floods after 20 s)")
    demo.add_argument("--inventory", metavar="PATH", default=argparse.SUPPRESS,
                      help="inventory for the view (default inventory/demo.yaml, else the built-in one)")
    demo.add_argument("--no-ui", action="store_true", help="only serve the network (for trying other commands against it)")
    demo.add_argument("--flood-after", type=float, default=20.0, metavar="SECONDS")
    demo.add_argument("--bursts", action="store_true",
                      help="in place of web1's flood, printer1 sends 2 s SYN bursts of 10k pps every 20 s from --flood-after on")
    demo.add_argument("--interval", type=_positive, default=5.0)
    demo.add_argument("--limit", type=int, default=20)
    demo.add_argument("--duration", type=_positive, metavar="SECONDS", help="stop after this long (default: until Ctrl-C)")
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="portmap: %(levelname)s: %(message)s", stream=sys.stderr)
    command = args.command or ("ui" if sys.stdout.isatty() else "live")
    if command == "demo":
        return _run(run_demo(args))
    inventory = load_inventory(_inventory_location(args.inventory if "inventory" in args else None))
    for warning in inventory.warnings:
        log.warning("%s", warning)
    devices = _devices(inventory, getattr(args, "device", None))
    from portmap.cli import commands as run_commands

    if command == "map":
        from portmap.cli.map_cmd import run_map

        return _run(run_map(devices, inventory.devices, args.format, args.hosts))
    if command == "find":
        from portmap.cli.find_cmd import run_find

        return _run(run_find(devices, inventory.devices, args.query, args.json, _dns(args)))
    if command == "tables":
        from portmap.cli.tables_cmd import run_tables

        return _run(run_tables(devices, inventory.devices, args.json))
    if command == "inventory":
        return _run(run_commands.run_inventory_check(devices))
    interval = getattr(args, "interval", 5.0)
    settings = WatchSettings(interval, getattr(args, "sort", "pps"), _dns(args), _state(args),
                             getattr(args, "tables_every", None) or TABLES_EVERY_S, tuned(FlagThresholds(), inventory.spikes),
                             inventory.devices)
    if command == "top":
        return _run(run_commands.run_top(devices, args.limit, args.json, settings))
    if command == "ui":
        from portmap.tui.run import run_ui  # Textual loads only for this face

        return _run(run_ui(devices, settings))
    return _run(run_commands.run_live(devices, getattr(args, "limit", 20), settings, as_json=getattr(args, "json", False)))


DEMO_INVENTORY = Path("inventory/demo.yaml")


class DemoError(PortmapError):
    pass


async def run_demo(args: argparse.Namespace) -> int:
    """Serve the simulated network, and open the TUI (or the text view) on it."""
    from portmap.demo.inventory import demo_inventory  # the simulated agents load only for the demo
    from portmap.demo.lab import SimulatedNetwork
    from portmap.demo.network import default_network

    network = default_network(flood_after_s=args.flood_after, bursts=args.bursts)
    simulator = SimulatedNetwork(network)
    try:
        simulator.start()
    except Exception as exc:  # pysnmp wraps the bind failure in its own error types
        raise DemoError(f"cannot start the demo agents on 127.0.0.1:{network.devices[0].agent_port}+: {exc}") from None
    try:
        if args.no_ui:
            for spec in network.devices:
                print(f"serving {spec.name} on udp 127.0.0.1:{spec.agent_port} (community {spec.community})")
            what = "printer1 starts its 2 s bursts" if args.bursts else "web1 starts flooding"
            print(f"{what} {args.flood_after:g}s after start; Ctrl-C to stop", flush=True)
            await asyncio.sleep(args.duration if args.duration else float("inf"))
            return 0
        location = getattr(args, "inventory", None) or (DEMO_INVENTORY if DEMO_INVENTORY.exists() else None)
        inventory = load_inventory(location) if location else demo_inventory(network)
        # the demo's hosts have documentation addresses no resolver knows (no reverse DNS), and its
        # device names must not mix with a real network's saved baselines (no state)
        settings = WatchSettings(args.interval)
        if sys.stdout.isatty():
            from portmap.tui.run import run_ui

            return await run_ui(inventory.devices, settings, args.duration)
        rounds = None if args.duration is None else max(1, int(args.duration // args.interval))
        from portmap.cli.commands import run_live

        return await run_live(inventory.devices, args.limit, settings, rounds=rounds)
    finally:
        simulator.stop()
        sys.stdout.flush()


class Stopped(Exception):
    """SIGTERM (a service stop) or SIGHUP (a closed terminal) ended the run, after its cleanup."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _run(command: Coroutine[Any, Any, int]) -> int:
    """Run a command's coroutine; SIGTERM and SIGHUP cancel it as Ctrl-C does, so that what it
    does when stopped (the baselines saved, agents closed) is done on every clean stop."""

    async def until_stopped() -> int:
        task, loop = asyncio.current_task(), asyncio.get_running_loop()
        assert task is not None
        received: list[int] = []

        def stop(signum: int) -> None:
            received.append(signum)
            task.cancel()

        for signum in (signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(signum, stop, signum)
        try:
            return await command
        except asyncio.CancelledError:
            if received:
                raise Stopped(received[0]) from None
            raise

    return asyncio.run(until_stopped())


def main(argv: Sequence[str] | None = None) -> None:
    try:
        code = run(argv)
    except PortmapError as error:
        print(f"portmap: {error}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        code = 130
    except Stopped as stop:
        code = 128 + stop.signum
    except BrokenPipeError:  # the reader closed the pipe (`| head -1`): a normal end
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so that the exit's flush is quiet too
        code = 0
    sys.exit(code)
