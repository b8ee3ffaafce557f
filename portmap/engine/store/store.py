"""The history store: opened (created 0600 in a 0700 folder, migrated to the newest schema),
written by one process at a time, and read by any number.

SQLite in WAL mode by default (readers never wait for the writer); a URL with a scheme
(postgresql://...) names another database SQLAlchemy speaks. A second writer of one SQLite
file is refused with one line: two pollers writing one history would each record the other's
gaps as the truth.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import SQLAlchemyError

from portmap.engine.store.place import shown
from portmap.errors import PortmapError

T = TypeVar("T")

MIGRATIONS = Path(__file__).with_name("migrations")
WRITER_LOCK_KEY = int.from_bytes(b"portmap", "big")
"""The advisory lock a database's writer holds."""
MIGRATION_LOCK_KEY = int.from_bytes(b"pm-migr", "big")
"""The advisory lock a migration holds until its transaction ends."""


class StoreError(PortmapError):
    pass


def _sqlite_file(path: Path) -> None:
    """The file, created for its owner only, in a folder for its owner only."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    except OSError as error:
        raise StoreError(f"{path}: cannot create the history store: {error.strerror}") from None


def migrations(connection: Connection | None = None) -> Config:
    """Alembic's configuration for the store's revisions, run on `connection` (see migrations/env.py)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


class Store:
    """A history store, open. `writer`: this process writes it (one writer per SQLite file, or per database)."""

    def __init__(self, location: str | Path, writer: bool = False, shared: bool = False) -> None:
        """`shared`: a writer beside other pollers (engine/shared.py), on a database only; they
        exclude a writer that is not shared, and it excludes them."""
        self.location = shown(str(location))
        self._lock: IO[str] | None = None
        if "://" in str(location):
            url = make_url(str(location))
            if url.drivername == "postgresql":  # psycopg 3, not SQLAlchemy's default psycopg2
                url = url.set(drivername="postgresql+psycopg")
            self.engine: Engine = create_engine(url)
        else:
            path = Path(location)
            if writer:
                _sqlite_file(path)
                self._lock = self._take_lock(path)
            elif not path.exists():
                raise StoreError(f"{path}: no history store here (portmap run writes one; --store or $PORTMAP_STORE names it)")
            self.engine = create_engine(f"sqlite:///{path}")
            event.listen(self.engine, "connect", _sqlite_settings)
            event.listen(self.engine, "begin", _sqlite_begin)
        self._held: Connection | None = None
        try:
            with self.engine.begin() as connection:
                self._migrate(connection)
            if writer and self._lock is None:
                self._held = self._take_advisory_lock(shared)
        except StoreError:
            self.close()
            raise
        except Exception as error:  # the database's own words (not SQLAlchemy's wrapping of them), on one line
            self.close()
            raise StoreError(f"{self.location}: cannot open the history store: {database_words(error)}") from None

    def _take_advisory_lock(self, shared: bool) -> Connection:
        """A database's one writer, or its shared pollers: a session-level advisory lock
        (exclusive, or shared by the pollers), held on a connection of its own for as long as
        the store is open (released by the server if this process dies)."""
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        function = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
        if not connection.execute(text(f"SELECT {function}(:key)"), {"key": WRITER_LOCK_KEY}).scalar():
            connection.close()
            other = "a portmap that is not a shared poller" if shared else "another portmap"
            raise StoreError(f"{self.location}: {other} writes this history store: one writer per store, "
                             "or pollers that share it (portmap run)")
        return connection

    @staticmethod
    def _take_lock(path: Path) -> IO[str]:
        lock = os.fdopen(os.open(path.with_name(path.name + ".lock"), os.O_CREAT | os.O_RDWR, 0o600), "r+")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            lock.close()
            raise StoreError(f"{path}: another portmap ({holder}) writes this history store: one writer per store") from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"pid {os.getpid()}")
        lock.flush()
        return lock

    @staticmethod
    def _migrate(connection: Connection) -> None:
        """The schema brought to the newest revision; on a database, one process at a time (pollers
        that start together on an empty database would each create the tables)."""
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        command.upgrade(migrations(connection), "head")

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.engine.begin() as connection:
            yield connection

    def read(self, query: Callable[..., T], *args: object) -> T:
        """`query(connection, *args)` in a transaction: a database that fails is a StoreError that names the store."""
        try:
            with self.transaction() as connection:
                return query(connection, *args)
        except SQLAlchemyError as error:
            raise self.failed(error) from None

    def failed(self, error: Exception) -> StoreError:
        """The one line that says the store failed in use (a database gone): its location, the database's words."""
        return StoreError(f"{self.location}: the history store failed: {database_words(error)}")

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self._held is not None:
            self._held.close()
            self._held = None
        self.engine.dispose()
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def database_words(error: Exception) -> str:
    """The database's own words of an error (not SQLAlchemy's wrapping of them), on one line."""
    return " ".join(str(getattr(error, "orig", None) or error).split())[:300]


def _sqlite_settings(connection, _record) -> None:  # type: ignore[no-untyped-def]
    """WAL: readers (history, incidents) never wait for the writer; a crash loses at most the
    transaction in flight. A busy file is waited for, not failed."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
    connection.isolation_level = None  # pysqlite begins no transaction of its own: _sqlite_begin does


def _sqlite_begin(connection: Connection) -> None:
    """Every transaction begun in SQLite itself, DDL included: pysqlite commits a CREATE TABLE as it
    runs it, and a run killed mid-migration would leave half a revision's tables and a store that
    no later run opens (SQLAlchemy's recipe for pysqlite's transactions)."""
    connection.exec_driver_sql("BEGIN")
