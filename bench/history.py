"""Cost of keeping history: the writer's CPU against the poll's own, the store's size per day,
and how fast `history` and `incidents` answer on a store holding a month.

Usage: python bench/history.py [--switches 1000] [--reference-switches 100]

1. The poll's own CPU per port is measured in this run (bench/poll.py's poller against lean
   simulated switches in other processes, `--reference-switches` of them), and the writer's CPU
   per poll at `--switches` x 48 ports: rates rolled up every poll, a minute's rows written every
   12 polls (5 s polls), the tables (a host on every port, seen on its port and an uplink)
   written every 60 s. The ratio is the writer's cost as a share of the poll's.
2. The store after a simulated day of 1,000 ports (a minute row per busy port, hours rolled up).
3. A month of 1,000 switches' host history (a host per port, a tenth of them moving each day,
   incidents) and of RATED_SWITCHES switches' rates (minutes for 7 days, hours before), then
   `history MAC`, `history DEVICE PORT` (with its month of rates) and `incidents` timed.
The last line is machine-readable.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.detect import PORTS_PER_DEVICE, INTERFACES, device_samples, rates_of  # noqa: E402
from bench.poll import bench_device, poll_cost, start_agents, BASE_PORT  # noqa: E402
from portmap.core.neighbourhood import Neighbourhood  # noqa: E402
from portmap.core.placement import HostLocation, Sighting  # noqa: E402
from portmap.core.ranking import rank_rates  # noqa: E402
from portmap.core.samples import InterfacesByPort  # noqa: E402
from portmap.core.snapshot import DeviceStatus, Snapshot  # noqa: E402
from portmap.core.rollups import FIGURES  # noqa: E402
from portmap.engine.store import queries, schema  # noqa: E402
from portmap.engine.store.store import Store  # noqa: E402
from portmap.engine.store.writer import HistoryWriter  # noqa: E402

POLL_S, DAY = 5.0, 86400.0


def snapshots(switches: int, start: float, polls: int) -> list[Snapshot]:
    interfaces = InterfacesByPort({f"sw{d}": INTERFACES for d in range(switches)})
    samples = [device_samples(switches, start + n * POLL_S, n + 1) for n in range(polls + 1)]
    return [Snapshot(start + (n + 1) * POLL_S, 0.1, rank_rates(rates_of(samples[n], samples[n + 1]), {}), interfaces, {},
                     tuple(DeviceStatus(f"sw{d}", True, 0.01) for d in range(switches))) for n in range(polls)]


def neighbourhood(switches: int) -> Neighbourhood:
    hosts = {}
    for d in range(switches):
        for port in range(1, PORTS_PER_DEVICE):
            mac = f"02:{d >> 16 & 255:02x}:{d >> 8 & 255:02x}:{d & 255:02x}:00:{port:02x}"
            seen = (Sighting(f"sw{d}", port, 1, 1, ""), Sighting("core", d % 400 + 1, 1, 900, "LLDP neighbour"))
            hosts[mac] = HostLocation(mac, (f"10.{d >> 8 & 255}.{d & 255}.{port}",), (f"sw{d}", port), 1, seen, "learned on access port")
    interfaces = InterfacesByPort({f"sw{d}": INTERFACES for d in range(switches)})
    return Neighbourhood({}, hosts, {}, nx.Graph(), interfaces)


def writer_cpu(switches: int, minutes: int) -> float:
    """The writer's CPU seconds per poll, over `minutes` simulated minutes of 5 s polls."""
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "history.sqlite", writer=True)
        writer = HistoryWriter(store)
        polls = snapshots(switches, 1_800_000_000.0, 12 * minutes + 1)
        tables = neighbourhood(switches)
        started = time.process_time()
        for number, snapshot in enumerate(polls):
            if number % 12 == 0:
                writer.record_neighbourhood(tables, snapshot.taken_at)
            writer.record_rates(snapshot)
            writer.record_incidents(snapshot, tables)
        spent = time.process_time() - started
        store.close()
    return spent / len(polls)


def poll_cpu_per_port(switches: int) -> float:
    agents = start_agents(switches)
    try:
        devices = [bench_device(f"sw{n}", BASE_PORT + n) for n in range(switches)]
        cost = asyncio.run(poll_cost(devices, 3, [a.pid for a in agents]))
    finally:
        for agent in agents:
            agent.terminate()
    return cost["cpu_s"] / 3 / (switches * PORTS_PER_DEVICE)


def day_size(ports: int) -> tuple[float, int]:
    """MB of a store after a day of `ports` busy ports (a poll a minute is enough for a minute's row), and its minute rows."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "history.sqlite"
        store = Store(path, writer=True)
        writer = HistoryWriter(store)
        switches = ports // PORTS_PER_DEVICE
        interfaces = InterfacesByPort({f"sw{d}": INTERFACES for d in range(switches)})
        before = device_samples(switches, 0.0, 1)
        for minute in range(1441):
            after = device_samples(switches, minute * 60.0 + 60, minute + 2)
            writer.record_rates(Snapshot(1_800_000_000.0 + minute * 60, 0.1, rank_rates(rates_of(before, after), {}), interfaces, {}, ()))
            before = after
        with store.transaction() as connection:
            rows = connection.execute(schema.port_minutes.select().with_only_columns(schema.port_minutes.c.polls)).all()
        store.close()
        size = sum(p.stat().st_size for p in Path(folder).iterdir()) / 1e6
    return size, len(rows)


def month_of_hosts(path: Path, switches: int) -> list[str]:
    """A month of placements: a host on every port, a tenth of them moving each day; 300 incidents."""
    rng = random.Random(7)
    store = Store(path, writer=True)
    start = 1_800_000_000.0
    placements, moves, bindings, incidents = [], [], [], []
    macs = []
    for d in range(switches):
        for port in range(1, PORTS_PER_DEVICE + 1):
            mac = f"02:{d >> 16 & 255:02x}:{d >> 8 & 255:02x}:{d & 255:02x}:00:{port:02x}"
            macs.append(mac)
            where, since = (f"sw{d}", f"Gi1/0/{port}"), start
            for day in range(30):
                if rng.random() < 0.1:
                    new = (f"sw{rng.randrange(switches)}", f"Gi1/0/{rng.randrange(1, PORTS_PER_DEVICE + 1)}")
                    at = start + day * DAY + rng.random() * DAY
                    placements.append({"mac": mac, "device": where[0], "port": where[1], "vlan": 1, "reason": "learned",
                                       "first_seen": since, "last_seen": at - 60})
                    moves.append({"mac": mac, "at": at, "from_device": where[0], "from_port": where[1], "to_device": new[0], "to_port": new[1]})
                    where, since = new, at
            placements.append({"mac": mac, "device": where[0], "port": where[1], "vlan": 1, "reason": "learned",
                               "first_seen": since, "last_seen": start + 30 * DAY})
            bindings.append({"ip": f"10.{d >> 8 & 255}.{d & 255}.{port}", "mac": mac, "name": f"h{d}-{port}.example",
                             "first_seen": start, "last_seen": start + 30 * DAY})
    for n in range(300):
        at = start + rng.random() * 30 * DAY
        incidents.append({"device": f"sw{rng.randrange(switches)}", "port": "Gi1/0/5", "if_index": 5, "start": at, "last_seen": at + 60,
                          "ongoing": 0, "kinds": "small-packet flood", "hosts": "[]", "path": "[]", "occurrences": "[]",
                          "peak": 40000.0, "metric": "pps"})
    with store.transaction() as connection:
        for table, rows in ((schema.placements, placements), (schema.moves, moves), (schema.ip_bindings, bindings),
                            (schema.incidents, incidents)):
            connection.execute(table.insert(), rows)
    store.close()
    return macs


RATED_SWITCHES = 2
"""Switches whose month of rates the month's store holds: all 1,000 would be about 90 GB (see the
day's size); a port's periods are found by the primary key's index, whatever the others hold."""


def month_of_rates(path: Path) -> int:
    """RATED_SWITCHES x 48 ports: a row a minute for the last 7 days, an hour before that (the
    default retention), every port busy. Returns the rows written."""
    store = Store(path, writer=True)
    start, minutes_from = 1_800_000_000.0, 1_800_000_000.0 + 23 * DAY
    rows = 0
    figures = {f"{figure}_{kind}": 100.0 for figure in FIGURES for kind in ("avg", "max")}
    with store.transaction() as connection:
        for d in range(RATED_SWITCHES):
            for port in range(1, PORTS_PER_DEVICE + 1):
                common = {"device": f"sw{d}", "port": f"Gi1/0/{port}", "if_index": port, **figures}
                hours = [{**common, "period_start": start + h * 3600.0, "polls": 720} for h in range(23 * 24)]
                minutes = [{**common, "period_start": minutes_from + m * 60.0, "polls": 12} for m in range(7 * 1440)]
                connection.execute(schema.port_hours.insert(), hours)
                connection.execute(schema.port_minutes.insert(), minutes)
                rows += len(hours) + len(minutes)
    store.close()
    return rows


def query_ms(path: Path, macs: list[str]) -> dict[str, float]:
    store = Store(path)
    rng = random.Random(3)
    timings: dict[str, list[float]] = {"history MAC": [], "history IP": [], "history DEVICE PORT": [], "incidents": []}
    try:
        for _ in range(20):
            mac = rng.choice(macs)
            for name, ask in (("history MAC", lambda c: queries.host_history(c, queries.macs_named(c, mac), 0, float("inf"))),
                              ("history IP", lambda c: queries.host_history(c, queries.macs_named(c, "10.0.3.7"), 0, float("inf"))),
                              ("history DEVICE PORT", lambda c: queries.port_history(c, "sw1", "Gi1/0/9", 0, float("inf"))),
                              ("incidents", lambda c: queries.incidents(c, 0, float("inf")))):
                started = time.perf_counter()
                with store.transaction() as connection:
                    ask(connection)
                timings[name].append((time.perf_counter() - started) * 1000)
    finally:
        store.close()
    return {name: statistics.median(values) for name, values in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--switches", type=int, default=1000)
    parser.add_argument("--reference-switches", type=int, default=100)
    parser.add_argument("--minutes", type=int, default=2)
    args = parser.parse_args()
    poll_port_cpu = poll_cpu_per_port(args.reference_switches)
    per_poll = writer_cpu(args.switches, args.minutes)
    ports = args.switches * PORTS_PER_DEVICE
    poll_cpu = poll_port_cpu * ports
    print(f"{args.switches} switches x {PORTS_PER_DEVICE} ports, polls every {POLL_S:g} s: writing history {per_poll * 1000:.0f} ms CPU "
          f"per poll; the poll itself {poll_cpu * 1000:.0f} ms ({poll_port_cpu * 1e6:.1f} us a port, measured on "
          f"{args.reference_switches} lean switches in this run): {per_poll / poll_cpu * 100:.1f} % of the poll's CPU")
    size_mb, rows = day_size(1000)
    print(f"a day of 1,000 busy ports: {size_mb:.0f} MB of store ({rows} minute rows and their hours)")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "month.sqlite"
        macs = month_of_hosts(path, args.switches)
        rate_rows = month_of_rates(path)
        timings = query_ms(path, macs)
        month_mb = sum(p.stat().st_size for p in Path(folder).iterdir()) / 1e6
    print("a month of " + f"{args.switches} switches' host history and {RATED_SWITCHES} switches' rates ({rate_rows} rows; "
          f"{month_mb:.0f} MB): " + ", ".join(f"{name} {ms:.1f} ms" for name, ms in timings.items())
          + " (median of 20; history DEVICE PORT returns its month of rates: 10,632 periods)")
    print(f"switches={args.switches} writer_ms_per_poll={per_poll * 1000:.0f} poll_ms={poll_cpu * 1000:.0f} "
          f"share_pct={per_poll / poll_cpu * 100:.1f} day_mb_per_1000_ports={size_mb:.0f} "
          + " ".join(f"{name.replace(' ', '_')}_ms={ms:.1f}" for name, ms in timings.items()))


if __name__ == "__main__":
    main()
