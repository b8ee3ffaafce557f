"""`portmap run` keeps history; `portmap history` and `portmap incidents` read it back, on the
demo network's agents: a host that moves, the flood's incident, a restart that continues it,
one writer per store."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from portmap.demo.lab import SimulatedNetwork
from portmap.engine.store.store import Store, migrations
from portmap.demo.network import default_network
from tests.conftest import inventory_file, on_free_ports
from portmap.demo.inventory import demo_inventory
from portmap.core.history import PortHistory
from portmap.present import numbers as fmt
from portmap.present.charts import BARS
from portmap.engine.tables import roles_of
from portmap.engine.watch import WatchSettings, watch
from portmap.tui.app import PortmapApp
from portmap.tui.screens import PortScreen
from textual.widgets import Static
from tests.helpers import REPO, TIMING, portmap_run_for, until
from tests.test_tui import run_live, wait_for

WEB1, WEB2 = "52:54:00:12:34:56", "52:54:00:12:34:57"
FLOOD_AFTER_S = 6.0


async def portmap(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "portmap", *args, cwd=REPO, env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode(), err.decode()


def entered_at_web1(incidents: list[dict]) -> dict:
    """The one incident entering at web1's port; any other is on an uplink (flagged a poll before
    the edge port on a loaded machine: devices are polled moments apart), never on another edge port."""
    (web1,) = [i for i in incidents if (i["device"], i["port"]) == ("acc1", "Gi1/0/5")]
    assert all(i["port"].startswith(("Te1/1/", "ge-0/0/")) for i in incidents if i is not web1), incidents
    return web1


def head_revision() -> str:
    return str(ScriptDirectory.from_config(migrations()).get_current_head())


def test_a_store_of_an_earlier_schema_is_migrated_forward_with_its_rows(tmp_path):
    path = tmp_path / "old.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        command.upgrade(migrations(connection), "0001")  # as the first release left it
        connection.exec_driver_sql("INSERT INTO moves (mac, at, from_device, from_port, to_device, to_port) "
                                   "VALUES ('52:54:00:12:34:57', 1.0, 'acc1', 'Gi1/0/6', 'acc2', 'Gi1/0/5')")
    engine.dispose()
    Store(path, writer=True).close()
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [(head_revision(),)] != [("0001",)]
        assert connection.execute("SELECT count(*) FROM moves").fetchone() == (1,)
        assert connection.execute("SELECT count(*) FROM port_minutes").fetchone() == (0,)


KILLED_AT = """
import os, signal, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine
from portmap.engine.store.store import Store

@event.listens_for(Engine, "before_cursor_execute")
def killed(connection, cursor, statement, *rest):
    if statement.lstrip().startswith(sys.argv[2]):
        os.kill(os.getpid(), signal.SIGKILL)

Store(sys.argv[1], writer=True)
"""


@pytest.mark.parametrize("statement", ["CREATE TABLE placements", "CREATE TABLE port_minutes"])
def test_a_run_killed_while_it_makes_the_store_leaves_one_the_next_run_opens(tmp_path, statement):
    """SIGKILL between two statements of a migration (in the first revision, in a later one): the
    migration is undone whole, and the next run makes the store. pysqlite commits DDL as it runs it
    unless told otherwise; a store left with half a revision's tables could never be opened again."""
    path = tmp_path / "history.sqlite"
    killed = subprocess.run([sys.executable, "-c", KILLED_AT, str(path), statement], cwd=REPO, capture_output=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    Store(path, writer=True).close()
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [(head_revision(),)]
        assert connection.execute("SELECT count(*) FROM placements").fetchone() == (0,)


@TIMING  # its moments (a move between polls, a flood's start) are measured
async def test_a_move_the_floods_incident_and_a_restart_are_kept_and_read_back(tmp_path):
    network = on_free_ports(default_network(flood_after_s=FLOOD_AFTER_S))
    simulator = SimulatedNetwork(network)
    simulator.start()
    flood_at = time.time() - simulator.model.elapsed() + FLOOD_AFTER_S
    try:
        inventory = str(inventory_file(tmp_path / "demo.yaml", demo_inventory(network).devices))
        store = str(tmp_path / "history.sqlite")
        common = ("--inventory", inventory, "--store", store, "--interval", "1", "--tables-every", "2", "--no-dns")
        first = asyncio.ensure_future(portmap_run_for(FLOOD_AFTER_S + 6, "run", *common))
        await asyncio.sleep(3)
        code, out, err = await portmap("run", *common)  # a second writer
        assert (code, out) == (2, "") and err.startswith(f"portmap: {store}: another portmap (pid ") and \
            err.endswith("writes this history store: one writer per store\n"), err
        simulator.move_host("web2", "acc2", 5)
        moved_at = time.time()
        await asyncio.sleep(3)
        simulator.unplug_host("mail1")  # gone: in no table from now on
        code, log = await first
        assert code == 128 + signal.SIGTERM, log
        assert "WARNING: incident: acc1 Gi1/0/5 (web1) [10.0.0.21 (52:54:00:12:34:56)]: small-packet flood, from " in log, log
        assert oct((tmp_path / "history.sqlite").stat().st_mode & 0o777) == "0o600"

        code, out, _ = await portmap("history", WEB2.replace(":", "-"), "--store", store, "--json")
        doc = json.loads(out)
        assert code == 0 and [(p["device"], p["port"]) for p in doc["placements"]] == [("acc1", "Gi1/0/6"), ("acc2", "Gi1/0/5")]
        (move,) = doc["moves"]
        assert (move["from_device"], move["from_port"], move["to_device"], move["to_port"]) == ("acc1", "Gi1/0/6", "acc2", "Gi1/0/5")
        assert moved_at <= move["at"] <= moved_at + 4 and doc["placements"][0]["last_seen"] < move["at"] <= doc["placements"][1]["first_seen"]
        assert [(b["ip"], b["mac"]) for b in doc["ips"]] == [("10.0.0.22", WEB2)]
        for at, where in ((moved_at - 1, "acc1 Gi1/0/6"), (move["at"] + 0.5, "acc2 Gi1/0/5")):  # the map as it was then
            code, out, _ = await portmap("map", "--at", datetime.fromtimestamp(at).isoformat(), "--hosts", "--json",
                                         "--inventory", inventory, "--store", store)
            graph = json.loads(out)
            assert code == 0 and {l["label"] for l in graph["links"] if WEB2 in (l["source"], l["target"])} == {where}, out
            assert {l["label"] for l in graph["links"]} >= {
                "acc1 Te1/1/1 - core1 Te1/1/1", "acc2 Te1/1/1 - core1 Te1/1/2", "core1 Te1/1/4 - rtr1 ge-0/0/0"}
        code, out, _ = await portmap("history", "10.0.0.22", "--store", store)
        assert code == 0 and out.startswith(f"{WEB2}  vendor -  10.0.0.22") and "  moved at " in out, out

        code, out, _ = await portmap("find", "52-54-00-ab-cd-02", "--history", "--inventory", inventory, "--store", store, "--no-dns")
        lines = out.splitlines()
        assert code == 1 and lines[0] == "52-54-00-ab-cd-02: in no forwarding table read (4 devices)", out
        assert lines[1].startswith("52:54:00:ab:cd:02: in no table now; last seen on acc1 Gi1/0/8, ") and " s ago (" in lines[1], out

        code, out, _ = await portmap("history", "acc1", "Gi1/0/5", "--store", store)
        lines = out.splitlines()
        assert code == 0 and lines[0] == "acc1 Gi1/0/5:" and lines[1].startswith(f"  {WEB1}  vlan 1  from "), out
        assert "small-packet flood" in lines[2] and "crossed acc1 Te1/1/1, core1 Te1/1/1" in lines[2], out
        assert lines[3].startswith("  rates kept: ") and " minute  in " in lines[-1], out
        code, out, _ = await portmap("history", "acc1", "Gi1/0/5", "--store", store, "--json")
        rates = json.loads(out)["rates"]  # per minute: the first run's stop wrote the minute in progress
        assert rates and all(r["period_s"] == 60 and r["polls"] >= 1 for r in rates)
        assert max(r["highest"]["in_pps"] for r in rates) > 30_000 and rates[0]["averages"]["util_pct"] is not None

        code, out, _ = await portmap("incidents", "--store", store, "--json")
        incident = entered_at_web1(json.loads(out)["incidents"])
        assert (incident["device"], incident["port"], incident["kinds"], incident["ongoing"]) == ("acc1", "Gi1/0/5", ["small-packet flood"], True)
        assert [h["mac"] for h in incident["hosts"]] == [WEB1] and incident["peak"] > 30_000 and incident["metric"] == "pps"
        assert flood_at < incident["start"] <= flood_at + 3  # the end of the first poll that saw it

        # a restart during the flood continues the open incident: one row, its start kept
        code, log = await portmap_run_for(4, "run", *common)
        assert code == 128 + signal.SIGTERM, log
        code, out, _ = await portmap("incidents", "--store", store, "--json", "--open")
        again = entered_at_web1(json.loads(out)["incidents"])
        assert (again["id"], again["start"]) == (incident["id"], incident["start"]) and again["last_seen"] > incident["last_seen"]
        with sqlite3.connect(store) as connection:
            assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [(head_revision(),)]
        code, out, err = await portmap("history", "02:00:00:00:00:99", "--store", store)
        assert (code, out) == (1, "02:00:00:00:00:99: not in the history kept\n")
        code, out, err = await portmap("incidents", "--store", str(tmp_path / "nowhere.sqlite"))
        assert code == 2 and err.startswith(f"portmap: {tmp_path / 'nowhere.sqlite'}: no history store here")
    finally:
        simulator.stop()


@TIMING
async def test_live_keeps_history_when_asked_a_second_writer_polls_on_and_the_floods_incident_closes_after_it(tmp_path):
    """`live --store` writes the store; `top --store` beside it polls and says why it keeps no
    history; web1's flood of 5 s is one incident, closed after it, with its entry port, host, peak
    and duration."""
    network = on_free_ports(default_network(flood_after_s=4.0))
    network = replace(network, floods=(replace(network.floods[0], duration_s=5.0),))
    simulator = SimulatedNetwork(network)
    simulator.start()
    flood_at = time.time() - simulator.model.elapsed() + 4.0
    try:
        inventory = str(inventory_file(tmp_path / "demo.yaml", demo_inventory(network).devices))
        store = str(tmp_path / "history.sqlite")
        common = ("--inventory", inventory, "--store", store, "--interval", "1", "--no-dns")
        live = asyncio.ensure_future(portmap_run_for(16, "live", "--json", "--limit", "3", "--tables-every", "2", *common))  # unread till it ends: a pipe's worth
        await asyncio.sleep(3)
        code, out, err = await portmap("top", *common)
        assert code == 0 and "acc1" in out, out + err
        assert err.startswith(f"portmap: WARNING: history not kept by this run: {store}: another portmap (pid ") and \
            err.endswith("writes this history store: one writer per store\n") and err.count("\n") == 1, err
        code, output = await live
        assert code == 128 + signal.SIGTERM, output

        code, out, _ = await portmap("incidents", "--store", store, "--json")
        incident = entered_at_web1(json.loads(out)["incidents"])
        assert not incident["ongoing"] and [h["mac"] for h in incident["hosts"]] == [WEB1], incident
        # 40k pps plus web1's own; an interval timed on a loaded machine may read a tenth high
        assert 36_000 <= incident["peak"] <= 48_000 and incident["metric"] == "pps", incident
        assert flood_at < incident["start"] <= flood_at + 2.5 and 3 <= incident["last_seen"] - incident["start"] <= 6, incident
        code, out, _ = await portmap("history", "acc1", "Gi1/0/5", "--store", store, "--json")
        assert code == 0 and max(r["highest"]["in_pps"] for r in json.loads(out)["rates"]) > 30_000, out
        code, out, _ = await portmap("incidents", str(incident["id"]), "--store", store)
        lines = out.splitlines()
        assert code == 0 and lines[0].startswith(f"#{incident['id']} acc1 Gi1/0/5 [10.0.0.21 ({WEB1})]: small-packet flood, "), out
        assert lines[1] == "  crossed, in order: acc1 Te1/1/1 -> core1 Te1/1/1 -> core1 Te1/1/4 -> rtr1 ge-0/0/0 -> rtr1 ge-0/0/1", out
        assert lines[2].startswith("  from ") and " polls, peak " in lines[2] and lines[2].endswith(" B packets"), out
        assert lines[3].startswith("  packets/s in on acc1 Gi1/0/5, the highest poll of each minute, "), out
        peak_row, axis = lines[4], lines[-1]  # the flood's minute reaches the top of the curve, 10 minutes of margin each side
        minutes = len({int(incident["start"] // 60), int(incident["last_seen"] // 60)})  # a flood of 5 s may cross into the next minute
        top = peak_row.split("┤")[1].strip()  # the peak's minute full; the other one's highest poll may be lower
        assert peak_row.split("┤")[0].strip() == fmt.si(incident["peak"]) and "█" in top and len(top) <= minutes and set(top) <= set(BARS), out
        assert len(peak_row.split("┤")[1]) in (21, 22) and axis.strip()[:2].isdigit() and axis.strip()[-2:].isdigit(), out
        code, out, _ = await portmap("incidents", str(incident["id"]), "--store", store, "--json")
        one = json.loads(out)
        highest = max(r["highest"]["in_pps"] for r in one["rates"])  # a poll's rate; the peak may be a zoomed second's
        assert code == 0 and one["id"] == incident["id"] and 0.85 * incident["peak"] <= highest <= incident["peak"], out
        code, out, _ = await portmap("incidents", "999", "--store", store)
        assert (code, out) == (1, "no incident #999 in the history kept\n")

        # the TUI's port screen reads the port's last hour from the store
        devices = demo_inventory(network).devices
        app = PortmapApp(lambda show: watch(devices, WatchSettings(1.0), show), len(devices), 1.0, roles_of(devices), store=store)
        async with run_live(app, (160, 60)) as pilot:
            await wait_for(pilot, lambda: app.frame is not None, 10)
            app.push_screen(screen := PortScreen(("acc1", 5), app.frame, app.history, app.roles, 1.0, store))
            await wait_for(pilot, lambda: isinstance(screen.kept, PortHistory), 10)
            kept = str(screen.query_one("#kept", Static).render()).splitlines()
        assert kept[0].startswith("packets/s in, average per minute: ") and re.search(r", highest poll (3\d|4\d)\.\dk$", kept[0]), kept
        assert kept[1].split("┤")[0].strip().startswith(("1", "2", "3", "4")) and kept[-3].endswith("now"), kept  # scale, axis
        assert kept[-2].startswith(f"  {WEB1}  vlan 1  from ") and kept[-1].startswith(f"  #{incident['id']} acc1 Gi1/0/5 ["), kept
        assert "small-packet flood" in kept[-1] and kept[-1].endswith("ended; crossed acc1 Te1/1/1, core1 Te1/1/1, core1 Te1/1/4, "
                                                                      "rtr1 ge-0/0/0, rtr1 ge-0/0/1"), kept
    finally:
        simulator.stop()


def incidents_written(store: Path) -> int:
    """Incident rows in the store, 0 before a run made it (or while one makes it)."""
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as connection:
            return connection.execute("SELECT count(*) FROM incidents").fetchone()[0]
    except sqlite3.Error:
        return 0


async def test_sigkill_during_writes_never_corrupts_the_store(tmp_path):
    """10 runs killed with SIGKILL, the first once it wrote the flood's incident, the others at 5
    moments spread over their writes: the store stays whole, what earlier runs wrote
    stays, and the next run takes the store (the lock dies with its holder)."""
    network = on_free_ports(default_network(flood_after_s=1.0))
    simulator = SimulatedNetwork(network)
    simulator.start()
    try:
        inventory = str(inventory_file(tmp_path / "demo.yaml", demo_inventory(network).devices))
        store = tmp_path / "history.sqlite"
        kept = 0
        for attempt in range(10):
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "portmap", "run", "--inventory", inventory, "--store", str(store), "--interval", "0.2",
                "--tables-every", "0.2", "--no-dns", cwd=REPO, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
            if attempt:
                await asyncio.sleep(1.2 + (attempt % 5) * 0.3)
            else:  # the first once it wrote the flood's incident (on a busy machine it starts slower): the last run reads it
                assert await until(lambda: incidents_written(store), 20), "no incident written in 20 s"
            process.kill()
            _, err = await process.communicate()
            assert b"Traceback" not in err, err.decode()
            with sqlite3.connect(store) as connection:
                assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
                if not connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'mac_sightings'").fetchone():
                    assert not kept, (attempt, "the tables earlier runs wrote are gone")
                    continue  # killed before the store was made (Python and the migrations start slower on some machines)
                rows = connection.execute("SELECT count(*) FROM mac_sightings").fetchone()[0]
                last_seen = connection.execute("SELECT max(last_seen) FROM mac_sightings").fetchone()[0] or 0.0
            assert rows >= kept, (attempt, rows, kept)
            kept = rows
        assert kept > 0 and time.time() - last_seen < 5
        code, out, _ = await portmap("incidents", "--store", str(store), "--json")
        assert code == 0 and json.loads(out)["incidents"], out
    finally:
        simulator.stop()


@TIMING
async def test_sighup_reads_the_inventory_again_and_a_broken_one_is_logged_and_the_old_one_kept(tmp_path):
    network = on_free_ports(default_network(flood_after_s=3600))
    simulator = SimulatedNetwork(network)
    simulator.start()
    try:
        devices = demo_inventory(network).devices
        inventory = inventory_file(tmp_path / "site.yaml", [d for d in devices if d.name != "acc2"])
        store = str(tmp_path / "history.sqlite")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "portmap", "run", "--inventory", str(inventory), "--store", store, "--interval", "0.5",
            "--tables-every", "0.5", "--no-dns", cwd=REPO, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        await asyncio.sleep(3)
        good = inventory.read_text()
        inventory.write_text(good.replace("host: 127.0.0.1", "hots: 127.0.0.1", 1))
        process.send_signal(signal.SIGHUP)
        await asyncio.sleep(1.5)
        assert process.returncode is None, "a broken inventory on SIGHUP never stops the run"
        inventory_file(inventory, devices)  # fixed, and acc2 added
        process.send_signal(signal.SIGHUP)
        await asyncio.sleep(3)
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 20)
        log = err.decode()
        assert process.returncode == 128 + signal.SIGTERM, log
        assert f"ERROR: inventory not reloaded, the old one kept: {inventory}:3:" in log and "hots: unknown key" in log, log
        assert "WARNING: inventory reloaded: 4 devices" in log, log
        with sqlite3.connect(store) as connection:
            seen_by = {row[0] for row in connection.execute("SELECT DISTINCT device FROM mac_sightings")}
        assert "acc2" in seen_by and "Traceback" not in log
    finally:
        simulator.stop()
