"""Baselines kept between runs: a one-shot `top` continues what earlier runs learned, and a broken
state file costs a warning, never the run."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys

from portmap.core.baseline import Baseline
from portmap.engine.state import MAX_AGE_S, load_baselines, save_baselines
from tests.helpers import REPO


def test_baselines_come_back_as_they_were_saved_and_old_ones_are_forgotten(tmp_path):
    path = tmp_path / "state" / "baselines.sqlite"
    fresh = {("sw1", 5, "in", "pps"): Baseline(250.0, 31.5, 40, 1_000_000.0)}
    stale = {("sw1", 6, "in", "pps"): Baseline(10.0, 1.0, 40, 1_000_000.0 - MAX_AGE_S - 1)}
    save_baselines(path, (fresh | stale).items())
    assert load_baselines(path, now=1_000_000.0) == fresh
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_errors_and_discards_saved_under_their_earlier_name_come_back_as_trouble(tmp_path):
    path = tmp_path / "baselines.sqlite"
    save_baselines(path, [(("sw1", 5, "in", "errors_ps"), Baseline(3.0, 1.0, 40, 1_000_000.0))])
    assert load_baselines(path, now=1_000_000.0) == {("sw1", 5, "in", "trouble_ps"): Baseline(3.0, 1.0, 40, 1_000_000.0)}


def test_an_unreadable_state_file_is_one_warning_and_no_baselines(tmp_path, caplog):
    path = tmp_path / "baselines.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    assert load_baselines(path) == {}
    (record,) = caplog.records
    assert str(path) in record.getMessage() and "starting without them" in record.getMessage()


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
            rows = connection.execute("SELECT device, if_index, direction, metric, samples FROM baselines").fetchall()
        return {tuple(row[:4]): row[4] for row in rows}

    await top()
    first = samples()
    assert ("acc1", 5, "in", "pps") in first and set(first.values()) == {1}
    await top()
    assert samples() == {key: 2 for key in first}
