"""`portmap`'s entry point: parses the arguments, hands the command to its face (the command
line in portmap/cli/, the TUI in portmap/tui/) and turns the outcome into an exit code (0 ok,
1 a device failed, 2 usage). The only module that imports a face."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import math
import os
import signal
import sys
import time
from dataclasses import replace
from datetime import datetime
from collections.abc import Callable, Coroutine, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import shtab

from portmap.core.flags import SORT_KEYS
from portmap.core.thresholds import FlagThresholds, tuned
from portmap.engine.dns import ReverseDns
from portmap.core.rollups import Retention
from portmap.engine.state import default_state_path, default_store_path
from portmap.engine.store.place import HistoryPlace, Poller
from portmap.core.snapshot import Frame
from portmap.engine.watch import TABLES_EVERY_S, WatchSettings
from portmap.errors import PortmapError
from portmap.inventory.loader import load_inventory
from portmap.inventory.model import DEFAULT_STATE, Device, Inventory
from portmap.present.map import FORMATS

log = logging.getLogger("portmap")

DEFAULT_INVENTORY = "inventory"


class UsageError(PortmapError):
    pass


EXAMPLE = Path(__file__).parent / "inventory" / "example.yaml"
"""The example inventory, shipped in the package (inventory/example.yaml links to it)."""
DEMO_PORT_BASE = 16161
DEMO_DEVICES = 4


def _inventory_location(explicit: str | None) -> str:
    return explicit or os.environ.get("PORTMAP_INVENTORY") or DEFAULT_INVENTORY


def _devices(inventory: Inventory, args: argparse.Namespace) -> tuple[Device, ...]:
    """The devices named (--device) and those bearing a tag (--tag); every device if neither is given."""
    names, tags = getattr(args, "device", None), getattr(args, "tag", None)
    known = {d.name for d in inventory.devices}
    unknown = [n for n in names or () if n not in known]
    if unknown:
        raise UsageError(f"no device named {', '.join(unknown)} in the inventory (known: {', '.join(sorted(known))})")
    known_tags = {tag for d in inventory.devices for tag in d.tags}
    unknown = [t for t in tags or () if t not in known_tags]
    if unknown:
        raise UsageError(f"no device has tag {', '.join(unknown)} (tags in the inventory: {', '.join(sorted(known_tags)) or 'none'})")
    if not inventory.devices:
        raise UsageError(f"the inventory ({', '.join(inventory.files)}) lists no devices")
    return inventory.select(names, tags)


def _state(args: argparse.Namespace, inventory: Inventory) -> Path | None:
    """--no-state, else --state, else the inventory's `state:`, else $PORTMAP_STATE or the XDG default."""
    if args.no_state:
        return None
    if args.state:
        return Path(args.state)
    return default_state_path() if inventory.state is DEFAULT_STATE else inventory.state


def _dns(args: argparse.Namespace) -> ReverseDns | None:
    return None if getattr(args, "no_dns", False) else ReverseDns()


def _bounded(what: str, low: float, high: float, whole: bool = False, low_included: bool = False) -> Callable[[str], float]:
    """An argument type: a finite number (whole, if asked) in its range, or a one-line reason."""

    def convert(text: str) -> float:
        try:
            value = int(text) if whole else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        above_low = value >= low if low_included else value > low
        if not (math.isfinite(value) and above_low and value <= high):
            shown = (lambda bound: str(int(bound))) if whole else (lambda bound: f"{bound:g}")
            lowest = f"at least {shown(low)}" if low_included else f"more than {shown(low)}"
            raise argparse.ArgumentTypeError(f"must be {lowest} and at most {shown(high)}, got {text!r}")
        return value

    return convert


SECONDS = _bounded("a number of seconds", 0, 3600)
ROWS = _bounded("a whole number of rows", 1, 100_000, whole=True, low_included=True)
INCIDENT = _bounded("an incident's number (portmap incidents lists them)", 1, 2**31 - 1, whole=True, low_included=True)
TEXT_ROWS = 20
"""Rows of the text table when --limit is not given; JSON lists every port unless it is."""
EXIT_FLAGGED = 3
"""`top --fail-on-flag`: a port is flagged (before 1, a device that did not answer: the alert matters more)."""


def _shared_options(parser: argparse.ArgumentParser, at_top: bool) -> None:
    """Options that mean the same before and after the command (`portmap --state F top` = `portmap top --state F`)."""

    def default(value: object) -> object:
        return value if at_top else argparse.SUPPRESS

    parser.add_argument("--inventory", metavar="PATH", default=default(None),
                        help="inventory file or folder (default: $PORTMAP_INVENTORY or ./inventory)")
    parser.add_argument("--state", metavar="PATH", default=default(None),
                        help="baselines file kept between runs (default: the inventory's state:, else $PORTMAP_STATE, "
                             "else $XDG_STATE_HOME/portmap/baselines.sqlite)")
    parser.add_argument("--no-state", action="store_true", default=default(False), help="start without saved baselines and save none")
    parser.add_argument("--log-level", choices=("error", "warning", "info", "debug"), default=default("warning"),
                        help="what to log on stderr (default warning)")


def _selection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", action="append", metavar="NAME", help="only this device (repeatable)")
    parser.add_argument("--tag", action="append", metavar="TAG", help="only devices with this tag (repeatable; with --device: either)")


def _command(commands: argparse._SubParsersAction, name: str, help: str, selects: bool = True,
             json_help: str | None = "print JSON") -> argparse.ArgumentParser:
    parser = commands.add_parser(name, help=help, description=help)
    _shared_options(parser, at_top=False)
    if selects:
        _selection(parser)
    if json_help:
        parser.add_argument("--json", action="store_true", help=json_help)
    return parser


def _watching(parser: argparse.ArgumentParser, with_rows: bool = True) -> None:
    parser.add_argument("--interval", type=SECONDS, default=5.0, metavar="SECONDS", help="seconds between polls (default 5)")
    if with_rows:
        parser.add_argument("--limit", type=ROWS, metavar="ROWS", help=f"ports to show (default {TEXT_ROWS}; with --json every port)")
        parser.add_argument("--sort", choices=sorted(SORT_KEYS), default="pps", help="rank by (default pps)")
    parser.add_argument("--no-dns", action="store_true", help="do not look up host names by reverse DNS")


def _store_option(parser: argparse.ArgumentParser, keeps: bool = False) -> None:
    """`keeps`: a face that writes history only when asked (this option, or the inventory's `store:` block)."""
    where = "$PORTMAP_STORE, else $XDG_STATE_HOME/portmap/history.sqlite"
    parser.add_argument("--store", metavar="PATH|URL", help=f"keep history in this store too (with the inventory's store: block: {where}); "
                        "a database that pollers share (portmap run): show their polls, sending no SNMP"
                        if keeps else f"the history store (default: {where})")


async def _run_serving(args: argparse.Namespace, inventory: Inventory, devices: Sequence[Device], settings: WatchSettings,
                       reload: Callable[[], tuple[tuple[Device, ...], WatchSettings]], hangup: asyncio.Event) -> int:
    """`portmap run` with its faces beside the log: the metrics endpoint (--listen) and the alert hooks (alerts:)."""
    from portmap.cli.run_cmd import run_headless

    serving: list[Callable[[Frame], None]] = []
    endpoint = sender = None
    if args.listen is not None:
        from portmap.endpoints.metrics import MetricsEndpoint

        host, port = args.listen
        token = _metrics_token(args.metrics_token_file)
        if token is None and not _loopback(host):
            log.warning("serving metrics on %s:%d to anyone who can reach it: --metrics-token-file asks for a token", host, port)
        endpoint = MetricsEndpoint(host, port, token)
        serving.append(endpoint.show)
    if inventory.alerts is not None:
        from portmap.endpoints.alerts import AlertSender

        sender = AlertSender(inventory.alerts, settings.interval_s)
        serving.append(sender.show)
    try:
        return await run_headless(devices, settings, reload, hangup, serving)
    finally:
        if sender is not None:
            await sender.close()
        if endpoint is not None:
            endpoint.close()


def _listen(text: str) -> tuple[str, int]:
    """'9117', '127.0.0.1:9117', '[::1]:9117' -> (host, port); the host defaults to 127.0.0.1."""
    host, _, port = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]") or "127.0.0.1"
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected [HOST:]PORT (9117, 127.0.0.1:9117, [::1]:9117), got {text!r}")
    return host, int(port)


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _metrics_token(path: str | None) -> str | None:
    """The scrapes' bearer token: the file's first line, else $PORTMAP_METRICS_TOKEN, else none."""
    if path is None:
        return os.environ.get("PORTMAP_METRICS_TOKEN") or None
    try:
        token = Path(path).read_text().strip()
    except OSError as error:
        raise UsageError(f"--metrics-token-file {path}: {error.strerror}") from None
    if not token:
        raise UsageError(f"--metrics-token-file {path}: the file is empty")
    return token


def _when(text: str) -> float:
    """A moment: a date and time (2026-11-30 14:05, ISO 8601), or how long ago (90s, 30m, 2h, 7d)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if text[-1:] in units and text[:-1].replace(".", "", 1).isdigit():
        return time.time() - float(text[:-1]) * units[text[-1]]
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date and time (2026-11-30 14:05) or how long ago (30m, 2h, 7d), got {text!r}") from None


def _period(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", type=_when, default=0.0, metavar="WHEN", help="from then on (a time, or 30m, 2h, 7d ago)")
    parser.add_argument("--until", type=_when, default=float("inf"), metavar="WHEN", help="up to then")
    parser.add_argument("--at", type=_when, metavar="WHEN", help="at that moment (the same as --since WHEN --until WHEN)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="portmap", description="Find the port, and the host behind it, that floods your network.",
                                     epilog="Exit status: 0 every device answered, 1 some device did not, 2 usage or inventory "
                                            f"error, {EXIT_FLAGGED} a port is flagged (top --fail-on-flag).")
    parser.add_argument("--version", action="version", version=f"portmap {version('portmap')}")
    _shared_options(parser, at_top=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    top = _command(commands, "top", "poll twice and print the busiest ports, ranked", json_help="print one JSON document")
    _watching(top)
    _store_option(top, keeps=True)
    top.add_argument("--fail-on-flag", action="store_true", help=f"exit {EXIT_FLAGGED} when a port is flagged (for scripts that alert)")

    ui = _command(commands, "ui", "the console TUI (the default command; the text view where the output is no terminal)", json_help=None)
    _watching(ui, with_rows=False)
    _store_option(ui, keeps=True)
    ui.add_argument("--tables-every", type=SECONDS, metavar="SECONDS", help="re-read forwarding, ARP, LLDP and CDP tables this often (default 60)")

    live = _command(commands, "live", "redraw the top table every interval as text (or JSON lines)",
                    json_help="one JSON document (as top's) per line, per poll")
    _watching(live)
    _store_option(live, keeps=True)
    live.add_argument("--tables-every", type=SECONDS, metavar="SECONDS",
                      help="re-read forwarding, ARP, LLDP and CDP tables this often (default 60)")

    run = _command(commands, "run", "poll without a screen and keep history (MAC places, moves, IPs, links, incidents)", json_help=None)
    _watching(run, with_rows=False)
    run.add_argument("--tables-every", type=SECONDS, metavar="SECONDS",
                     help="re-read forwarding, ARP, LLDP and CDP tables this often (default 60)")
    _store_option(run)
    run.add_argument("--poller", metavar="NAME",
                     help="on a PostgreSQL store shared by several pollers: this one's name, unique among them (default: the host name)")
    run.add_argument("--poller-group", action="append", default=[], metavar="TAG",
                     help="on a shared store: poll only devices tagged TAG (repeatable; default: any device)")
    run.add_argument("--listen", type=_listen, metavar="[HOST:]PORT",
                     help="serve Prometheus metrics there (/metrics, and /snmp?target=DEVICE as snmp_exporter's); HOST defaults to 127.0.0.1")
    run.add_argument("--metrics-token-file", metavar="PATH",
                     help="scrapes must send this file's bearer token (or set $PORTMAP_METRICS_TOKEN)")

    history = _command(commands, "history", "where a MAC, IP or host name was, and when; or who was on DEVICE PORT",
                       selects=False)
    history.add_argument("what", nargs="+", metavar="MAC|IP|NAME or DEVICE PORT")
    _period(history)
    _store_option(history)

    incidents = _command(commands, "incidents", "the incidents kept in the history; or one, with its path and rates", selects=False)
    incidents.add_argument("number", nargs="?", type=INCIDENT, metavar="ID", help="one incident: its occurrences, path and rate curve")
    incidents.add_argument("--open", action="store_true", help="only those still open")
    incidents.add_argument("--follow", action="store_true",
                           help="print each incident again when it changes, until Ctrl-C (woken by the pollers' writes on PostgreSQL)")
    _period(incidents)
    _store_option(incidents)

    pollers = _command(commands, "pollers", "the pollers sharing a PostgreSQL store: their devices and heartbeats", selects=False)
    _store_option(pollers)

    _command(commands, "tables", "what each device's interface, forwarding, ARP and LLDP tables say")

    find = _command(commands, "find", "where a MAC (any notation), an IP, a host name, a port name or a port description is plugged in")
    find.add_argument("query")
    find.add_argument("--no-dns", action="store_true", help="do not look up host names by reverse DNS")
    find.add_argument("--history", action="store_true", help="when no table has it now: where the history store last saw it")
    _store_option(find)

    topology = _command(commands, "map", "the topology: devices joined by the links LLDP and CDP show", json_help="the same as --format json")
    topology.add_argument("--format", choices=FORMATS, default="json")
    topology.add_argument("--hosts", action="store_true", help="with the hosts on their edge ports")
    topology.add_argument("--at", type=_when, metavar="WHEN", help="as the history store kept it then (no SNMP is sent)")
    _store_option(topology)

    inventory = commands.add_parser("inventory", help="inventory tools")
    inventory_commands = inventory.add_subparsers(dest="inventory_command", required=True, metavar="TOOL")
    _command(inventory_commands, "check", "validate the inventory and ask every device who it is")
    _command(inventory_commands, "example", "print an example inventory with every field explained", selects=False, json_help=None)

    completion = commands.add_parser("completion", help="print a shell completion script: source <(portmap completion bash)")
    completion.add_argument("shell", choices=("bash", "zsh", "tcsh"))

    demo = _command(commands, "demo", "run the simulated demo network (web1 floods after 20 s)", selects=False, json_help=None)
    demo.add_argument("--no-ui", action="store_true", help="only serve the network (for trying other commands against it)")
    demo.add_argument("--flood-after", type=_bounded("a number of seconds", 0, 86400, low_included=True), default=20.0, metavar="SECONDS")
    demo.add_argument("--bursts", action="store_true",
                      help="in place of web1's flood, printer1 sends 2 s SYN bursts of 10k pps every 20 s from --flood-after on")
    demo.add_argument("--port-base", type=_bounded("a UDP port", 1023, 65535 - DEMO_DEVICES, whole=True), default=DEMO_PORT_BASE,
                      metavar="PORT", help=f"serve the {DEMO_DEVICES} devices on UDP ports PORT.. (default {DEMO_PORT_BASE})")
    demo.add_argument("--interval", type=SECONDS, default=5.0, metavar="SECONDS")
    demo.add_argument("--limit", type=ROWS, default=TEXT_ROWS, metavar="ROWS")
    demo.add_argument("--duration", type=_bounded("a number of seconds", 0, 7 * 86400), metavar="SECONDS",
                      help="stop after this long (default: until Ctrl-C)")
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="portmap: %(levelname)s: %(message)s", stream=sys.stderr)
    command = args.command or ("ui" if sys.stdout.isatty() else "live")
    if command == "demo":
        return _run(run_demo(args))
    if command == "completion":
        print(shtab.complete(parser, args.shell))
        return 0
    if command == "inventory" and args.inventory_command == "example":
        print(EXAMPLE.read_text(), end="")
        return 0
    if command == "pollers":
        from portmap.cli.history_cmd import run_pollers

        return run_pollers(_store(args), args.json)
    if command in ("history", "incidents"):
        from portmap.cli.history_cmd import follow_incidents, run_history, run_incident, run_incidents

        since, until = (args.at, args.at) if args.at is not None else (args.since, args.until)
        location = _store(args)
        if command == "incidents":
            if args.number is not None:
                return run_incident(location, args.number, args.json)
            if args.follow:
                return follow_incidents(location, since)
            return run_incidents(location, since, until, args.open, args.json)
        if len(args.what) > 2:
            raise UsageError("history: give a MAC, an IP or a host name, or a device and a port")
        return run_history(location, args.what, since, until, args.json)
    inventory = _load(args)
    devices = _devices(inventory, args)
    as_json = getattr(args, "json", False)
    from portmap.cli import commands as run_commands

    if command == "map":
        from portmap.cli.map_cmd import run_map, run_map_at

        fmt = "json" if as_json else args.format
        if args.at is not None:
            return run_map_at(inventory.devices, fmt, args.hosts, args.at, _store(args))
        return _run(run_map(devices, inventory.devices, fmt, args.hosts))
    if command == "find":
        from portmap.cli.find_cmd import run_find

        if not args.query.strip():
            raise UsageError("find: the query is empty: give a MAC, an IP, a host name, a port name or a port description")
        history = _store(args) if args.history else None
        return _run(run_find(devices, inventory.devices, args.query.strip(), as_json, _dns(args), history))
    if command == "tables":
        from portmap.cli.tables_cmd import run_tables

        return _run(run_tables(devices, inventory.devices, as_json))
    if command == "inventory":
        return _run(run_commands.run_inventory_check(devices, as_json))
    settings = _settings(args, inventory)
    if command == "run":
        def reload() -> tuple[tuple[Device, ...], WatchSettings]:
            again = _load(args)
            return _devices(again, args), _settings(args, again)

        hangup = asyncio.Event()
        return _run(_run_serving(args, inventory, devices, settings, reload, hangup), hangup.set)
    shared = _shared_store(args)
    if shared is not None:  # the pollers' polls are shown, and kept by them
        settings = replace(settings, history=None)
    if command == "ui" and sys.stdout.isatty():
        from portmap.tui.run import run_ui  # Textual loads only for this face

        # the port screen reads the store this TUI writes, else the one a `portmap run` service writes
        default = default_store_path()
        store = shared or (settings.history.location if settings.history else str(default) if default.exists() else None)
        return _run(run_ui(devices, settings, store=store, shared=shared is not None))
    limit = getattr(args, "limit", None) or (None if as_json else TEXT_ROWS)  # `ui` into a pipe: the text view
    if command == "top":
        return _run(run_commands.run_top(devices, limit, as_json, settings, EXIT_FLAGGED if args.fail_on_flag else None, shared))
    return _run(run_commands.run_live(devices, limit, settings, as_json=as_json, shared=shared))


def _shared_store(args: argparse.Namespace) -> str | None:
    """--store where it names a database that pollers share: the faces show their polls, sending no SNMP."""
    location = getattr(args, "store", None)
    if location is None or "://" not in location:
        return None
    from portmap.engine.follow import pollers_share  # SQLAlchemy loads only for a face given a database

    return location if pollers_share(location) else None


def _load(args: argparse.Namespace) -> Inventory:
    inventory = load_inventory(_inventory_location(args.inventory))
    for warning in inventory.warnings:
        log.warning("%s", warning)
    return inventory


def _settings(args: argparse.Namespace, inventory: Inventory) -> WatchSettings:
    """How a polling command watches its devices."""
    return WatchSettings(args.interval, getattr(args, "sort", "pps"), _dns(args), _state(args, inventory),
                         getattr(args, "tables_every", None) or TABLES_EVERY_S, tuned(FlagThresholds(), inventory.spikes),
                         inventory.devices, _history(args, inventory))


def _history(args: argparse.Namespace, inventory: Inventory) -> HistoryPlace | None:
    """`run` keeps history always; `ui`, `top` and `live` where --store or the inventory's `store:` block asks."""
    if args.command != "run" and getattr(args, "store", None) is None and inventory.retention is None:
        return None
    store = _store(args)
    shared = args.command == "run" and store.startswith("postgresql")
    if args.command == "run" and not shared and (args.poller or args.poller_group):
        raise PortmapError("--poller and --poller-group name pollers sharing a PostgreSQL store: --store postgresql://...")
    if shared and any("," in group or not group for group in args.poller_group):
        raise UsageError("--poller-group: one device tag each, without commas (repeat the option for several)")
    poller = Poller(args.poller or Poller().name, tuple(args.poller_group)) if shared else None
    return HistoryPlace(store, inventory.retention or Retention(), required=args.command == "run", poller=poller)


def _store(args: argparse.Namespace) -> str:
    """The history store: --store, else $PORTMAP_STORE, else the default beside the baselines."""
    return getattr(args, "store", None) or str(default_store_path())


DEMO_INVENTORY = Path("inventory/demo.yaml")


class DemoError(PortmapError):
    pass


async def run_demo(args: argparse.Namespace) -> int:
    """Serve the simulated network, and open the TUI (or the text view) on it."""
    from portmap.demo.inventory import demo_inventory  # the simulated agents load only for the demo
    from portmap.demo.lab import SimulatedNetwork
    from portmap.demo.network import default_network

    network = default_network(args.port_base, flood_after_s=args.flood_after, bursts=args.bursts)
    simulator = SimulatedNetwork(network)
    ports = f"127.0.0.1:{args.port_base}-{args.port_base + len(network.devices) - 1}"
    try:
        simulator.start()
    except OSError as exc:
        raise DemoError(f"cannot serve the demo on udp {ports}: {exc.strerror} (another portmap demo running? "
                        "--port-base PORT serves it on other ports)") from None
    try:
        if args.no_ui:
            for spec in network.devices:
                print(f"serving {spec.name} on udp 127.0.0.1:{spec.agent_port} (community {spec.community})")
            what = "printer1 starts its 2 s bursts" if args.bursts else "web1 starts flooding"
            print(f"{what} {args.flood_after:g}s after start; Ctrl-C to stop", flush=True)
            await asyncio.sleep(args.duration if args.duration else float("inf"))
            return 0
        # inventory/demo.yaml names the default ports; elsewhere the built-in inventory does
        shipped = DEMO_INVENTORY if DEMO_INVENTORY.exists() and args.port_base == DEMO_PORT_BASE else None
        location = args.inventory or shipped
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


def _run(command: Coroutine[Any, Any, int], on_hangup: Callable[[], None] | None = None) -> int:
    """Run a command's coroutine; SIGTERM and SIGHUP cancel it as Ctrl-C does, so that what it
    does when stopped (the baselines saved, agents closed) is done on every clean stop. With
    `on_hangup` (a service's reload), SIGHUP calls it instead."""

    async def until_stopped() -> int:
        task, loop = asyncio.current_task(), asyncio.get_running_loop()
        assert task is not None
        received: list[int] = []

        def stop(signum: int) -> None:
            received.append(signum)
            task.cancel()

        loop.add_signal_handler(signal.SIGTERM, stop, signal.SIGTERM)
        if on_hangup is None:
            loop.add_signal_handler(signal.SIGHUP, stop, signal.SIGHUP)
        else:
            loop.add_signal_handler(signal.SIGHUP, on_hangup)
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
