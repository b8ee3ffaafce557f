"""Several `portmap run` pollers sharing one local PostgreSQL store, against simulated switches.

Usage: python bench/shared_pollers.py [--switches 1000] [--pollers 3] [--interval 10] [--cycles 12]
Needs Debian's postgresql (the cluster is started as in the tests: a temp folder, a Unix
socket, as an unprivileged user).

The switches are bench/lean_agents.py's (48 ports each, in processes of their own). The pollers
start together; once every switch is leased and each poller polls its share, and WARM_UP more
intervals have passed, the run is measured for CYCLES polling intervals (12 by default: at
least one minute's rates written). The pollers save their baselines every 10 minutes, outside
that window: the save is measured when they stop (a clean stop saves every series), and
spread over the cycles between two saves. Printed: each poller's devices and CPU per cycle, the slowest poll (from each
poller's /metrics), the database's CPU per cycle (the postmaster and its backends) and what it
wrote per cycle (WAL bytes, rows inserted, updated and deleted), and per switch; what a face
reading the store (`top --store`) spends on one frame of the whole network. The last line is
machine-readable.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portmap.engine.follow import follow_store  # noqa: E402
from portmap.engine.shared import SAVE_BASELINES_EVERY_S  # noqa: E402
from portmap.engine.watch import WatchSettings  # noqa: E402
from portmap.inventory.loader import load_inventory  # noqa: E402
from tests.postgres import postgres_cluster  # noqa: E402
from poll import BASE_PORT, CLOCK_TICKS, cpu_of, start_agents  # noqa: E402  (bench/poll.py, beside this script)

METRICS_PORT = 39200
STATS = "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn, sum(tup_inserted), sum(tup_updated), sum(tup_deleted) FROM pg_stat_database"
TABLES = "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables"


def inventory(path: Path, switches: int) -> Path:
    path.write_text("defaults: {snmp: {version: 2c, community: public}, timeout_s: 5}\ndevices:\n" + "".join(
        f"  - {{name: sw{n:05}, host: 127.0.0.1, port: {BASE_PORT + n}}}\n" for n in range(switches)))
    return path


def database_cpu(url: str) -> float:
    """CPU seconds of the cluster at `url` (its folder is in the URL): the postmaster's own, its
    backends' that ended (which it waited for), and those of the backends alive now."""
    folder = url.split("host=")[1]
    postmaster = int((Path(folder) / "data" / "postmaster.pid").read_text().split()[0])
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile: its CPU is in the postmaster's children's
            continue
        if int(entry.name) == postmaster:
            total += sum(int(field) for field in fields[11:15])  # utime, stime, cutime, cstime
        elif int(fields[1]) == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def metrics(port: int) -> dict[str, float]:
    """The poller's last poll's duration and devices (none before its endpoint is up)."""
    try:
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    except OSError:
        return {}
    return {name: float(value) for name, value in re.findall(r"^(portmap_poll_duration_seconds|portmap_devices_polled) (\S+)$",
                                                              body, re.M)}


def face_read(url: str, inventory_path: Path, interval_s: float, reads: int = 5) -> tuple[float, list[int]]:
    """What a face on another machine spends on one frame of the whole network (the fastest of
    `reads`: the store read, the JSON decoded, the pollers' ports ranked together), and the
    size of each poller's published poll."""
    devices = load_inventory(inventory_path).devices
    times = []
    for _ in range(reads):
        started = time.perf_counter()
        asyncio.run(follow_store(url, devices, WatchSettings(interval_s), lambda frame: None, rounds=1))
        times.append(time.perf_counter() - started)
    database = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with database.connect() as connection:
        sizes = [int(size) for size in connection.execute(text("SELECT length(document) FROM published_frames ORDER BY poller")).scalars()]
    database.dispose()
    return min(times) * 1000, sizes


@contextmanager
def _stopped(pollers: list[subprocess.Popen[bytes]]) -> Iterator[None]:
    """The pollers stopped (SIGTERM: their leases given up) before the cluster is."""
    try:
        yield
    finally:
        for poller in pollers:
            poller.terminate()
        for poller in pollers:
            poller.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--switches", type=int, default=1000)
    parser.add_argument("--pollers", type=int, default=3)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--cycles", type=int, default=12)
    parser.add_argument("--warm-up", type=int, default=4, metavar="CYCLES", help="polls after settling before measuring")
    args = parser.parse_args()
    agents = start_agents(args.switches)
    folder = Path(tempfile.mkdtemp(prefix="portmap-bench-"))
    pollers: list[subprocess.Popen[bytes]] = []
    try:
        with postgres_cluster() as url, _stopped(pollers):
            path = inventory(folder / "switches.yaml", args.switches)
            for n in range(args.pollers):
                pollers.append(subprocess.Popen(
                    [sys.executable, "-m", "portmap", "--inventory", str(path), "run", "--store", url, "--interval", str(args.interval),
                     "--tables-every", "3600", "--no-dns", "--poller", f"p{n}", "--listen", f"127.0.0.1:{METRICS_PORT + n}"],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(folder / f"p{n}.log", "wb"),
                    cwd=Path(__file__).resolve().parent.parent))
            database = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
            started = time.monotonic()
            share = -(-args.switches // args.pollers)
            while True:  # every switch leased, each poller polling its share, for two polls
                time.sleep(args.interval / 2)
                with database.connect() as connection:
                    held = dict(connection.execute(text("SELECT poller, count(*) FROM device_leases GROUP BY poller")).all())
                polled = [metrics(METRICS_PORT + n).get("portmap_devices_polled", 0) for n in range(args.pollers)]
                if sum(held.values()) == args.switches and all(0 < count <= share for count in polled):
                    break
                if time.monotonic() - started > 60 * args.interval:
                    raise SystemExit(f"the pollers did not settle: leases {held}, polling {polled}")
            settled_s = time.monotonic() - started
            time.sleep(args.warm_up * args.interval)
            poller_pids = [p.pid for p in pollers]
            with database.connect() as connection:
                before = connection.execute(text(STATS)).one()
                tables_before = dict(connection.execute(text(TABLES)).all())
            cpu_before = [cpu_of([pid]) for pid in poller_pids]
            db_before = database_cpu(url)
            slowest = 0.0
            window_started = time.monotonic()
            while time.monotonic() - window_started < args.cycles * args.interval:
                time.sleep(args.interval / 4)
                for n in range(args.pollers):
                    slowest = max(slowest, metrics(METRICS_PORT + n).get("portmap_poll_duration_seconds", 0.0))
            window_s = time.monotonic() - window_started
            cycles = window_s / args.interval
            db_cpu = database_cpu(url) - db_before
            poller_cpu = [cpu_of([pid]) - before_cpu for pid, before_cpu in zip(poller_pids, cpu_before)]
            with database.connect() as connection:
                after = connection.execute(text(STATS)).one()
                tables_after = dict(connection.execute(text(TABLES)).all())
                held = dict(connection.execute(text("SELECT poller, count(*) FROM device_leases GROUP BY poller")).all())
            face_ms, documents = face_read(url, path, args.interval)
            db_before_stop = database_cpu(url)
            for poller in pollers:  # a clean stop saves every baseline (as the heartbeat does every SAVE_BASELINES_EVERY_S)
                poller.terminate()
            for poller in pollers:
                poller.wait(120)
            stop_cpu = database_cpu(url) - db_before_stop
            with database.connect() as connection:
                stopped = connection.execute(text(STATS)).one()
                series = connection.execute(text("SELECT count(*) FROM port_baselines")).scalar_one()
            database.dispose()
    finally:
        for agent in agents:
            agent.communicate("")
    wal, inserted, updated, deleted = (float(a) - float(b) for a, b in zip(after, before))
    per_switch = args.switches
    print(f"{args.pollers} pollers x {args.switches} switches of 48 ports, one PostgreSQL, interval {args.interval:g} s; "
          f"settled in {settled_s:.0f} s; measured {cycles:.1f} cycles")
    for n in range(args.pollers):
        print(f"  p{n}: {held.get(f'p{n}', 0)} switches, {poller_cpu[n] / cycles:.2f} s CPU per cycle")
    print(f"  slowest poll {slowest:.2f} s (interval {args.interval:g} s)")
    print(f"  database: {db_cpu / cycles * 1000:.0f} ms CPU per cycle ({db_cpu / cycles / per_switch * 1e6:.0f} us a switch), "
          f"{wal / cycles / 1024:.0f} KiB of WAL per cycle ({wal / cycles / per_switch:.0f} B a switch), "
          f"rows per cycle: {inserted / cycles:.0f} inserted, {updated / cycles:.0f} updated, {deleted / cycles:.0f} deleted")
    saves_per_cycle = args.interval / SAVE_BASELINES_EVERY_S
    stop_wal = float(stopped[0]) - float(after[0])
    print(f"  the pollers' stop, which saves all {series} series (and the minute in progress): {stop_cpu * 1000:.0f} ms of "
          f"database CPU, {stop_wal / 1024:.0f} KiB of WAL; saved every {SAVE_BASELINES_EVERY_S:g} s, that is "
          f"{stop_cpu * saves_per_cycle * 1000:.0f} ms and {stop_wal * saves_per_cycle / 1024:.0f} KiB per cycle more")
    print(f"  a face's view of the whole network from the store (ui/top/live --store): read and merged in {face_ms:.0f} ms; "
          f"published polls {', '.join(f'{size / 1024:.0f}' for size in documents)} KiB")
    written = sorted(((count - tables_before.get(name, 0), name) for name, count in tables_after.items()), reverse=True)
    print("  rows written per cycle, by table: " + ", ".join(f"{name} {rows / cycles:.0f}" for rows, name in written if rows))
    print(f"switches={args.switches} pollers={args.pollers} interval_s={args.interval:g} slowest_poll_s={slowest:.2f} "
          f"poller_cpu_s_per_cycle={sum(poller_cpu) / cycles:.2f} db_cpu_ms_per_cycle={db_cpu / cycles * 1000:.0f} "
          f"wal_kib_per_cycle={wal / cycles / 1024:.0f} rows_per_cycle={(inserted + updated + deleted) / cycles:.0f} "
          f"baseline_save_db_cpu_ms={stop_cpu * 1000:.0f} baseline_save_wal_kib={stop_wal / 1024:.0f} face_read_ms={face_ms:.0f}")


if __name__ == "__main__":
    main()
