"""The history store on PostgreSQL (issue 18's first step): the same schema and code paths as
SQLite. `portmap run --store postgresql://...` keeps the demo flood's incident, web1's place and
the port's rates in a throwaway cluster the test starts; history and incidents read them back;
the URL's password shows nowhere; a second poller of the same name is refused, and `top` given
the store shows the poller's polls."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time

from portmap.demo.inventory import demo_inventory
from portmap.demo.lab import SimulatedNetwork
from portmap.demo.network import default_network
from portmap.engine.store.store import Store
from sqlalchemy import text
from tests.conftest import inventory_file, on_free_ports
from tests.helpers import REPO, portmap_run_for, report, until
from tests.postgres import PASSWORD, postgres_cluster, stop_server
from tests.test_history import WEB1, entered_at_web1, head_revision, portmap


async def test_portmap_run_keeps_the_floods_incident_and_webs_place_in_postgresql(tmp_path):
    network = on_free_ports(default_network(flood_after_s=3.0))
    simulator = SimulatedNetwork(network)
    simulator.start()
    try:
        with postgres_cluster() as url:
            inventory = str(inventory_file(tmp_path / "demo.yaml", demo_inventory(network).devices))
            common = ("--inventory", inventory, "run", "--store", url, "--interval", "1", "--tables-every", "2", "--no-dns")
            first = asyncio.ensure_future(portmap_run_for(13, *common, "--log-level", "info"))  # runs on through the next two commands
            await asyncio.sleep(4)
            code, out, err = await portmap(*common)  # a second poller of the same name
            assert (code, out) == (2, "") and err.startswith(f"portmap: poller {socket.gethostname()} already runs (pid ") and \
                err.endswith("give each poller its own --poller name\n") and err.count("\n") == 1, err
            code, out, err = await portmap("--inventory", inventory, "top", "--store", url, "--no-dns")  # shows the poller's polls
            assert code == 0 and "acc1" in out and out.endswith(f"\npollers: {socket.gethostname()} 4 devices\n") and err == "", out + err
            code, log = await first
            assert code == 128 + signal.SIGTERM and "pg-pass-marker" not in log and "history in postgresql://portmap:***@/" in log, log
            code, out, err = await portmap("incidents", "--store", url, "--json")
            incident = entered_at_web1(json.loads(out)["incidents"])
            assert code == 0 and [h["mac"] for h in incident["hosts"]] == [WEB1] and incident["peak"] > 30_000, out + err
            code, out, _ = await portmap("history", WEB1, "--store", url, "--json")
            assert code == 0 and [(p["device"], p["port"]) for p in json.loads(out)["placements"]] == [("acc1", "Gi1/0/5")], out
            code, out, _ = await portmap("history", "acc1", "Gi1/0/5", "--store", url, "--json")
            assert code == 0 and max(r["highest"]["in_pps"] for r in json.loads(out)["rates"]) > 30_000, out
            with Store(url) as store, store.transaction() as connection:
                assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()
                tables = connection.execute(text("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")).scalar()
            code, out, err = await portmap("incidents", "--store", url.replace("/portmap?", "/nowhere?"))
            assert code == 2 and "pg-pass-marker" not in err and err.startswith("portmap: postgresql://portmap:***@/nowhere?"), err
    finally:
        simulator.stop()
    report(f"history store on PostgreSQL (a cluster started by the test): the demo flood's incident, web1's place and "
           f"the port's rates kept and read back through the same schema ({tables} tables) and code as SQLite")


async def test_the_password_comes_from_the_environment_or_a_file_only_its_user_reads(tmp_path):
    """A URL without its password: libpq takes it from PGPASSWORD, or from a password file
    (PGPASSFILE, ~/.pgpass) that only its user can read; never shown, as the URL's is not.
    First, four processes open the empty database at once: its migration runs once, the others
    wait for it (pollers started together had failed on a duplicate table)."""
    with postgres_cluster() as url:
        opened = await asyncio.gather(*(portmap("incidents", "--store", url, "--json") for _ in range(4)))  # 4 migrate an empty database at once
        assert all(code == 0 and json.loads(out)["incidents"] == [] for code, out, _ in opened), opened
        bare = url.replace(":" + PASSWORD + "@", "@")
        quiet = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        code, out, err = await portmap("incidents", "--store", bare, env={**quiet, "PGPASSFILE": str(tmp_path / "none")})
        assert code == 2 and err.count("\n") == 1 and "Traceback" not in err and "password" in err, err
        code, out, err = await portmap("incidents", "--store", bare, "--json", env={**quiet, "PGPASSWORD": PASSWORD})
        assert code == 0 and json.loads(out)["incidents"] == [], err
        password_file = tmp_path / "pgpass"
        password_file.write_text(f"*:*:*:portmap:{PASSWORD}\n")
        password_file.chmod(0o600)
        code, out, err = await portmap("incidents", "--store", bare, "--json", env={**quiet, "PGPASSFILE": str(password_file)})
        assert code == 0 and json.loads(out)["incidents"] == [], err
        password_file.chmod(0o644)  # others may read it: libpq will not use it
        code, out, err = await portmap("incidents", "--store", bare, env={**quiet, "PGPASSFILE": str(password_file)})
        assert code == 2 and PASSWORD not in err and "Traceback" not in err, err
        code, out, err = await portmap("incidents", "--store", url.replace(PASSWORD, "wrong-pass-marker"), env=quiet)
        assert code == 2 and "wrong-pass-marker" not in err and "***" in err, err
    report("PostgreSQL password from PGPASSWORD or a private password file (a readable one refused), never shown")


def connected(url: str) -> set[str]:
    """The clients (by their PGAPPNAME) holding a connection to the cluster."""
    with Store(url) as store, store.transaction() as connection:
        return set(connection.execute(text("SELECT application_name FROM pg_stat_activity")).scalars())


async def test_a_poller_whose_database_goes_away_stops_polling_and_ends_with_one_line(demo_running, tmp_path):
    """PostgreSQL stopped at once under a running poller: the heartbeat says so, the poller stops
    polling once its leases could have expired, and its next history write ends the run with one
    line naming the store (password hidden) and exit 2, never a traceback. So do the readers of
    the store: `live --store` showing the poller's polls, and `incidents --follow`."""
    with postgres_cluster() as url:
        inventory = str(inventory_file(tmp_path / "demo.yaml", demo_running.devices.values()))
        commands = {"run": ("run", "--store", url, "--interval", "1", "--tables-every", "2", "--no-dns"),
                    "live": ("live", "--store", url, "--interval", "0.5", "--json"), "follow": ("incidents", "--store", url, "--follow")}
        processes = {}
        for name, command in commands.items():
            processes[name] = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "portmap", "--inventory", inventory, *command, cwd=REPO, env={**os.environ, "PGAPPNAME": name},
                stdout=asyncio.subprocess.PIPE if name == "live" else asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
            await asyncio.sleep(3 if name == "run" else 0)
        # each has opened the store before it stops (slow machines start slower)
        assert await until(lambda: set(commands) <= connected(url), 30), connected(url)
        await asyncio.sleep(2)
        await asyncio.to_thread(stop_server, url)
        stopped = time.monotonic()
        ended = {"run": await asyncio.wait_for(processes["run"].communicate(), 20)}
        run_ended_s = time.monotonic() - stopped
        ended.update({name: await asyncio.wait_for(process.communicate(), 20) for name, process in processes.items() if name != "run"})
    errs = {name: err.decode() for name, (_, err) in ended.items()}
    for name, process in processes.items():
        last = errs[name].splitlines()[-1]
        assert process.returncode == 2 and "Traceback" not in errs[name] and PASSWORD not in errs[name], (name, errs[name])
        assert last.startswith("portmap: postgresql://portmap:***@/portmap?host=") and ": the history store failed: " in last, errs
    # Its leases could have expired 0.625 s after their last renewal (interval 1 s: rounds of 0.25 s, a
    # life of 3), and between polls the poller then stops polling. A history write in a poll before
    # that (the tables read again, an incident) ends the run sooner: past 2 s, it must have stopped.
    assert run_ended_s < 2.0 or "polling nothing until the store answers" in errs["run"], (run_ended_s, errs["run"])
    shown = [json.loads(line) for line in ended["live"][0].decode().splitlines()]
    assert shown and all(document["devices_answered"] == 4 and document["pollers"][0]["state"] == "polling" for document in shown), shown
    report(f"a poller whose PostgreSQL went away: {'stopped polling, then ' if 'polling nothing' in errs['run'] else ''}"
           f"one line and exit 2 at its next write, {run_ended_s:.1f} s after; "
           f"live --store (showed {len(shown)} merged polls) and incidents --follow ended with one line too")
