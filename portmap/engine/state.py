"""Baselines kept between runs in a small SQLite file, so that a one-shot `portmap top`
compares each port with what earlier runs saw, and a restart does not start blind.

The file is $PORTMAP_STATE, else $XDG_STATE_HOME/portmap/baselines.sqlite, else
~/.local/state/portmap/baselines.sqlite. A file that cannot be read or written costs one
warning and the baselines, never the run: a damaged one is moved aside (the warning says
where) and the next save starts a new one; rows that are not numbers where numbers belong
are left out. Two processes saving to one file merge: each series keeps its newest value.

Series are kept under the port's identity (core/identity.py), not its ifIndex, so that a
device that renumbers its interfaces between runs gets each port's own baselines back.
Baselines an earlier version kept under the ifIndex (the `baselines` table) cannot be told
apart after a renumbering: they are not taken, and the next save removes them.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from portmap.core.baseline import Baseline, PortIdentity, SeriesKey

log = logging.getLogger(__name__)

MAX_AGE_S = 7 * 24 * 3600.0
"""Baselines not updated for a week describe a network that has changed: they are dropped."""
RENAMED = {"errors_ps": "trouble_ps"}
"""Metrics saved under an earlier name (errors and discards were learned as errors_ps)."""
SCHEMA = """CREATE TABLE IF NOT EXISTS port_baselines (
    device TEXT NOT NULL, port TEXT NOT NULL, direction TEXT NOT NULL, metric TEXT NOT NULL,
    level REAL NOT NULL, spread REAL NOT NULL, samples INTEGER NOT NULL, updated_at REAL NOT NULL,
    PRIMARY KEY (device, port, direction, metric))"""
EPISODES_SCHEMA = """CREATE TABLE IF NOT EXISTS flagged_since (
    device TEXT NOT NULL, port TEXT NOT NULL, since REAL NOT NULL, saved_at REAL NOT NULL, PRIMARY KEY (device, port))"""
RESUME_WITHIN_S = 300.0
"""A port flagged when a run saved is taken for the same episode by a run starting within this
long: consecutive `top` runs, or a restart, keep the incident's "since"."""
KEYED_BY_IF_INDEX = "baselines"
"""The table of an earlier version, which kept series under the ifIndex."""


def _state_folder() -> Path:
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "portmap"


def default_state_path() -> Path:
    return Path(os.environ["PORTMAP_STATE"]) if os.environ.get("PORTMAP_STATE") else _state_folder() / "baselines.sqlite"


def default_store_path() -> Path:
    """The history store (engine/store): $PORTMAP_STORE, else history.sqlite beside the baselines."""
    return Path(os.environ["PORTMAP_STORE"]) if os.environ.get("PORTMAP_STORE") else _state_folder() / "history.sqlite"


@contextmanager
def _transaction(path: Path) -> Iterator[sqlite3.Connection]:
    """One transaction on the file, committed on success; the connection is closed either way."""
    connection = sqlite3.connect(path, timeout=2.0)
    try:
        with connection:
            connection.execute(SCHEMA)
            connection.execute(EPISODES_SCHEMA)
            yield connection
    finally:
        connection.close()


_VALID = f"""typeof(device) = 'text' AND typeof(port) = 'text' AND direction IN ('in', 'out')
    AND typeof(level) IN ('real', 'integer') AND typeof(spread) IN ('real', 'integer') AND typeof(updated_at) IN ('real', 'integer')
    AND typeof(samples) = 'integer' AND samples BETWEEN 0 AND {2**31 - 1} AND level >= 0 AND spread >= 0
    AND abs(level) < 1e300 AND abs(spread) < 1e300"""
"""A row the baselines can take: numbers where numbers belong, a sample count an int32 holds."""


def load_baselines(path: Path, now: float | None = None) -> dict[SeriesKey, Baseline]:
    """The baselines stored at `path` (none if it does not exist yet), those older than MAX_AGE_S
    and rows that are not baselines left out; a damaged file is moved aside."""
    if not path.exists():
        return {}
    oldest = (now or time.time()) - MAX_AGE_S
    try:
        with _transaction(path) as connection:
            rows = connection.execute("SELECT device, port, direction, metric, level, spread, samples, updated_at "
                                      f"FROM port_baselines WHERE updated_at >= ? AND {_VALID}", (oldest,)).fetchall()
            (invalid,) = connection.execute(f"SELECT count(*) FROM port_baselines WHERE NOT ({_VALID})").fetchone()
            keyed_by_if_index = connection.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (KEYED_BY_IF_INDEX,)).fetchone()
    except sqlite3.OperationalError as error:  # locked, unreadable, another schema: the file may be sound
        log.warning("%s: cannot read the saved baselines (%s): starting without them", path, error)
        return {}
    except sqlite3.DatabaseError as error:  # not a database, or a damaged one: never repaired in place
        aside = path.with_name(f"{path.name}.broken-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            path.rename(aside)
        except OSError as move:
            log.warning("%s: cannot read the saved baselines (%s), nor move the file aside (%s): starting without them",
                        path, error, move.strerror)
        else:
            log.warning("%s: cannot read the saved baselines (%s): moved to %s; starting without them, a new file is made",
                        path, error, aside)
        return {}
    if keyed_by_if_index:
        log.warning("%s: baselines saved by an earlier version of portmap are kept by ifIndex, which a device may have "
                    "renumbered: they are not taken, and each port learns its normal again", path)
    if invalid:
        log.warning("%s: %d saved baseline row(s) are not baselines (text or out-of-range numbers): left out", path, invalid)
    return {(device, port, direction, RENAMED.get(metric, metric)): Baseline(float(level), float(spread), samples, float(updated_at))
            for device, port, direction, metric, level, spread, samples, updated_at in rows}


def save_baselines(path: Path, series: Iterable[tuple[SeriesKey, Baseline]], polled: Iterable[str] = (),
                   flagged: Iterable[tuple[PortIdentity, float]] = (), now: float | None = None) -> None:
    """Each series saved, unless the file holds a newer value of it (another process's); in the
    same transaction, the ports of the `polled` devices `flagged` now, with when their episode
    began (other devices' rows are another process's)."""
    devices = list(polled)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _transaction(path) as connection:
            connection.executemany(
                "INSERT INTO port_baselines VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device, port, direction, metric) "
                "DO UPDATE SET level = excluded.level, spread = excluded.spread, samples = excluded.samples, "
                "updated_at = excluded.updated_at WHERE excluded.updated_at >= port_baselines.updated_at",
                [(*key, b.level, b.spread, b.samples, b.updated_at) for key, b in series])
            connection.execute(f"DROP TABLE IF EXISTS {KEYED_BY_IF_INDEX}")
            connection.executemany("DELETE FROM flagged_since WHERE device = ?", [(device,) for device in devices])
            connection.executemany("INSERT OR REPLACE INTO flagged_since VALUES (?, ?, ?, ?)",
                                   [(device, port, since, now or time.time()) for (device, port), since in flagged])
        os.chmod(path, 0o600)
    except (OSError, sqlite3.Error) as error:
        log.warning("%s: cannot save the baselines (%s): the next run starts without this one's", path, error)


def load_flagged_since(path: Path, now: float | None = None) -> dict[PortIdentity, float]:
    """Ports flagged when a run saved within RESUME_WITHIN_S: when their episode began."""
    if not path.exists():
        return {}
    try:
        with _transaction(path) as connection:
            rows = connection.execute("SELECT device, port, since FROM flagged_since WHERE saved_at >= ? AND typeof(since) = 'real'",
                                      ((now or time.time()) - RESUME_WITHIN_S,)).fetchall()
    except sqlite3.Error as error:  # load_baselines, read first, has said what is wrong with the file
        log.debug("%s: flagged ports not read (%s)", path, error)
        return {}
    return {(device, port): since for device, port, since in rows}
