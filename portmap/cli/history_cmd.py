"""`portmap history`, `portmap incidents` and `portmap pollers`: what the history store kept
(no SNMP is sent)."""

from __future__ import annotations

import json
import time
from dataclasses import asdict

from portmap.engine.store import queries
from portmap.engine.store.doorbell import Doorbell
from portmap.engine.store.store import Store
from portmap.present.pollers import pollers_json, pollers_lines
from portmap.present.history import curve_window, host_json, host_lines, incident_json, incident_lines, incident_text, port_json, port_lines


def run_history(location: str, what: list[str], since: float, until: float, as_json: bool) -> int:
    """`what`: a MAC, IP or host name; or a device and one of its ports. Exit 1 when nothing is kept."""
    if len(what) == 2:
        return _port_history(location, what[0], what[1], since, until, as_json)
    with Store(location) as store, store.transaction() as connection:
        history = queries.host_history(connection, queries.macs_named(connection, what[0]), since, until)
    if as_json:
        print(json.dumps(host_json(history), indent=2))
    else:
        print("\n".join(host_lines(history)) if history.placements or history.bindings else f"{what[0]}: not in the history kept")
    return 0 if history.placements or history.bindings else 1


def _port_history(location: str, device: str, port: str, since: float, until: float, as_json: bool) -> int:
    """Who was on a port, its incidents and its rates."""
    with Store(location) as store, store.transaction() as connection:
        history = queries.port_history(connection, device, port, since, until)
    print(json.dumps(port_json(history), indent=2) if as_json else "\n".join(port_lines(history)))
    return 0 if history else 1


def run_incident(location: str, number: int, as_json: bool) -> int:
    """One incident, with the entry port's rates around it. Exit 1 when the store has no such incident."""
    with Store(location) as store, store.transaction() as connection:
        found = queries.incident(connection, number)
        rates = queries.port_rates(connection, found.device, found.port, *curve_window(found)) if found else []
    if found is None:
        print(f"no incident #{number} in the history kept")
        return 1
    if as_json:
        print(json.dumps({**incident_json(found), "rates": [asdict(p) for p in rates]}, indent=2))
    else:
        print("\n".join(incident_lines(found, rates)))
    return 0


def run_incidents(location: str, since: float, until: float, open_only: bool, as_json: bool) -> int:
    with Store(location) as store, store.transaction() as connection:
        found = queries.incidents(connection, since, until, open_only)
    if as_json:
        print(json.dumps({"incidents": [incident_json(i) for i in found]}, indent=2))
    else:
        print("\n".join(incident_text(i) for i in found) or "no incident in that time")
    return 0


def run_pollers(location: str, as_json: bool) -> int:
    """The pollers sharing the store: exit 1 when one that did not stop cleanly is silent."""
    with Store(location) as store, store.transaction() as connection:
        found = queries.pollers(connection)
    now = time.time()
    print(json.dumps(pollers_json(found, now), indent=2) if as_json else "\n".join(pollers_lines(found, now)))
    return 1 if any(poller.state(now) == "silent" for poller in found) else 0


FOLLOW_EVERY_S = 30.0
"""`incidents --follow` reads the store again at each ring of its doorbell, and at least this often."""


def follow_incidents(location: str, since: float) -> int:
    """Each incident from `since` on, printed again whenever it changes (opens, ends, a new
    occurrence, its path or hosts), until Ctrl-C. On a shared PostgreSQL store the writers'
    doorbell (LISTEN/NOTIFY) wakes it when they write."""
    shown_as: dict[int, tuple[object, ...]] = {}
    with Store(location) as store:
        bell = Doorbell(store, FOLLOW_EVERY_S)
        try:
            while True:
                found = store.read(queries.incidents, since, float("inf"))
                for incident in reversed(found):  # a poll that only moves its last time and peak is no change
                    state = (incident.ongoing, incident.kinds, incident.path, json.dumps(incident.hosts), len(incident.occurrences))
                    if shown_as.get(incident.id) != state:
                        print(incident_text(incident), flush=True)
                        shown_as[incident.id] = state
                bell.wait()
        finally:
            bell.close()
