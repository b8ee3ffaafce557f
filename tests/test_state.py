"""Baselines kept between runs: a one-shot `top` continues what earlier runs learned, and a broken
state file costs a warning, never the run."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import sys
import time

import pytest

from portmap.core.baseline import Baseline, BaselineStore
from portmap.engine.state import MAX_AGE_S, load_baselines, save_baselines
from portmap.demo.inventory import demo_inventory
from portmap.demo.lab import SimulatedNetwork
from portmap.demo.network import default_network
from tests.conftest import inventory_file, on_free_ports
from tests.helpers import TIMING, REPO

pytestmark = TIMING


def test_baselines_come_back_as_they_were_saved_and_old_ones_are_forgotten(tmp_path):
    path = tmp_path / "state" / "baselines.sqlite"
    fresh = {("sw1", "Gi1/0/5", "in", "pps"): Baseline(250.0, 31.5, 40, 1_000_000.0)}
    stale = {("sw1", "Gi1/0/6", "in", "pps"): Baseline(10.0, 1.0, 40, 1_000_000.0 - MAX_AGE_S - 1)}
    save_baselines(path, (fresh | stale).items())
    assert load_baselines(path, now=1_000_000.0) == fresh
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_errors_and_discards_saved_under_their_earlier_name_come_back_as_trouble(tmp_path):
    path = tmp_path / "baselines.sqlite"
    save_baselines(path, [(("sw1", "Gi1/0/5", "in", "errors_ps"), Baseline(3.0, 1.0, 40, 1_000_000.0))])
    assert load_baselines(path, now=1_000_000.0) == {("sw1", "Gi1/0/5", "in", "trouble_ps"): Baseline(3.0, 1.0, 40, 1_000_000.0)}


def test_a_damaged_state_file_is_one_warning_moved_aside_and_a_new_one_started(tmp_path, caplog):
    path = tmp_path / "baselines.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    assert load_baselines(path) == {}
    (record,) = caplog.records
    (aside,) = tmp_path.glob("baselines.sqlite.broken-*")
    assert f"moved to {aside}" in record.getMessage() and "starting without them" in record.getMessage()
    assert not path.exists() and aside.read_bytes().startswith(b"this is not a database")
    fresh = {("sw1", "Gi1/0/5", "in", "pps"): Baseline(250.0, 31.5, 40, time.time())}
    save_baselines(path, fresh.items())
    assert load_baselines(path) == fresh


def test_rows_that_are_not_baselines_are_left_out_and_the_rest_taken(tmp_path, caplog):
    path = tmp_path / "baselines.sqlite"
    now = time.time()
    good = {("sw1", "Gi1/0/5", "in", "pps"): Baseline(250.0, 31.5, 40, now)}
    save_baselines(path, good.items())
    with sqlite3.connect(path) as connection:
        connection.executemany("INSERT INTO port_baselines VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
            ("sw1", "Gi1/0/6", "in", "pps", "lots", 1.0, 40, now), ("sw1", "Gi1/0/7", "in", "pps", 10.0, 1.0, 2**40, now),
            ("sw1", "Gi1/0/8", "sideways", "pps", 10.0, 1.0, 4, now), ("sw1", "Gi1/0/9", "in", "pps", -5.0, 1.0, 4, now)])
    connection.close()
    loaded = load_baselines(path)
    assert loaded == good
    assert "4 saved baseline row(s) are not baselines" in caplog.records[0].getMessage()
    store = BaselineStore(loaded)
    store.slot(("sw1", "Gi1/0/5"))
    assert store.get(("sw1", "Gi1/0/5", "in", "pps")) == good[("sw1", "Gi1/0/5", "in", "pps")]


def test_two_writers_merge_each_series_keeps_its_newest_value(tmp_path):
    path = tmp_path / "baselines.sqlite"
    newer = {("sw1", "Gi1/0/5", "in", "pps"): Baseline(900.0, 10.0, 50, 2_000_000.0)}
    older = {("sw1", "Gi1/0/5", "in", "pps"): Baseline(100.0, 10.0, 40, 1_999_000.0), ("sw1", "Gi1/0/6", "in", "pps"): Baseline(5.0, 1.0, 9, 1_999_000.0)}
    save_baselines(path, newer.items())
    save_baselines(path, older.items())  # a second process that learned less recently saves later
    assert load_baselines(path, now=2_000_000.0) == {**older, **newer}


async def test_each_top_run_adds_one_interval_to_the_baselines_the_last_one_left(demo_running, tmp_path, own_state_file):
    inventory = tmp_path / "demo.yaml"
    inventory.write_text("defaults: {snmp: {version: 2c, community: public}, timeout_s: 1}\ndevices:\n" + "".join(
        f"  - {{name: {d.name}, host: 127.0.0.1, port: {d.port}, role: {sorted(d.roles)[0]}}}\n" for d in demo_running.devices.values()))

    async def top() -> None:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "portmap", "--inventory", str(inventory), "top", "--interval", "1", "--json", "--no-dns",
            cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await process.communicate()
        assert process.returncode == 0 and json.loads(out)["ports"], err.decode()

    def samples() -> dict[tuple, int]:
        with sqlite3.connect(own_state_file) as connection:
            rows = connection.execute("SELECT device, port, direction, metric, samples FROM port_baselines").fetchall()
        return {tuple(row[:4]): row[4] for row in rows}

    await top()
    first = samples()
    assert ("acc1", "Gi1/0/5", "in", "pps") in first and set(first.values()) == {1}
    await top()
    assert samples() == {key: 2 for key in first}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
async def test_a_service_stop_or_a_closed_terminal_saves_what_was_learned(demo_running, tmp_path, signum):
    inventory = inventory_file(tmp_path / "demo.yaml", demo_running.devices.values())
    state = tmp_path / "state.sqlite"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "portmap", "--state", str(state), "--inventory", str(inventory), "live", "--json",
        "--interval", "0.5", "--no-dns", cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert process.stdout is not None
    for _ in range(3):  # three frames: two intervals learned, far fewer than a periodic save waits for
        await asyncio.wait_for(process.stdout.readline(), 20)
    process.send_signal(signum)
    _, err = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 128 + signum, err.decode()
    saved = load_baselines(state)
    assert saved.get(("acc1", "Gi1/0/5", "in", "pps")) is not None and saved[("acc1", "Gi1/0/5", "in", "pps")].samples >= 1


async def test_consecutive_top_runs_during_a_flood_keep_when_it_began(tmp_path, own_state_file):
    """Each `top` run printed the start of its own run as the flood's "since" (07:51:44, then
    07:51:48, 07:51:50): the start of the episode is kept with the baselines, for the next run."""
    network = on_free_ports(default_network(flood_after_s=0.0))
    simulator = SimulatedNetwork(network)
    simulator.start()
    inventory = inventory_file(tmp_path / "demo.yaml", demo_inventory(network).devices)

    async def web1_since() -> float:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "portmap", "--inventory", str(inventory), "top", "--interval", "1", "--json", "--no-dns",
            cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await process.communicate()
        web1 = json.loads(out)["ports"][0]
        assert (web1["device"], web1["if_index"], web1["flagged"]) == ("acc1", 5, True), err.decode()
        return web1["since"]

    try:
        first = await web1_since()
        await asyncio.sleep(1.0)
        second = await web1_since()
    finally:
        simulator.stop()
    assert second == first
