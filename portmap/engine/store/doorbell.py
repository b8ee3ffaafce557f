"""LISTEN/NOTIFY as a doorbell for live readers of a shared store: a writer rings when it has
written incidents, a reader waiting for the next ring reads the tables again at once. Never
the only copy of anything: the tables are, and a reader reads them again every few seconds
without a ring too (and on SQLite, which has no doorbell, only so)."""

from __future__ import annotations

import time
from typing import Any

import psycopg
from sqlalchemy import Connection, text

from portmap.engine.store.store import Store

INCIDENTS = "portmap_incidents"


def ring(connection: Connection) -> None:
    """Rings when the transaction commits (PostgreSQL delivers a NOTIFY then, and once however often it was rung)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"NOTIFY {INCIDENTS}"))


class Doorbell:
    """Waits for a ring, at most `every_s`."""

    def __init__(self, store: Store, every_s: float) -> None:
        self.every_s, self.store = every_s, store
        self._raw: Any = None
        self._broken = False
        if store.engine.dialect.name == "postgresql":
            self._raw = store.engine.raw_connection()
            listener = self._raw.driver_connection
            listener.autocommit = True
            listener.execute(f"LISTEN {INCIDENTS}")

    def wait(self) -> None:
        if self._raw is None:
            time.sleep(self.every_s)
            return
        try:
            for _ in self._raw.driver_connection.notifies(timeout=self.every_s, stop_after=1):
                pass
        except psycopg.Error as error:
            self._broken = True
            raise self.store.failed(error) from None

    def close(self) -> None:
        if self._raw is not None:
            if self._broken:  # nothing to roll back on a lost connection: the pool drops it without trying
                self._raw.invalidate()
            else:
                self._raw.close()
            self._raw = None
