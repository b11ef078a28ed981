"""The ledger's SQLite recorders: the library's, with work done inside a write's transaction,
schema creation one process at a time, a new database file readable by its owner alone, and a
page cache on each connection large enough for the views' reads.

Chosen through the library's environment: `PERSISTENCE_MODULE` names `SQLiteLedgerFactory`'s
topic (`projections.store.persistence.ledger_env`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlsplit

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import (
    SQLiteAggregateRecorder,
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteDatastore,
    SQLiteFactory,
    SQLiteTrackingRecorder,
)
from eventsourcing.utils import Environment, EnvType

from projections.store import hooks

if sys.platform != "win32":
    import fcntl


@contextmanager
def sqlite_schema_lock(datastore: SQLiteDatastore) -> Iterator[None]:
    """A lock on a file beside the database, held until the block ends. SQLite's own write
    lock cannot be: the library reads and creates its tables on several connections."""
    pool = datastore.pool
    if pool.is_sqlite_memory_mode or sys.platform == "win32":
        yield  # one process only (in memory), or no `flock` to serialise processes with
        return
    # Owner-only, like the ledger file beside it; closing it unlocks.
    descriptor = os.open(f"{pool.db_name}-schema-lock", os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        yield


def create_owner_only(name: str) -> None:
    """Make a new SQLite ledger file readable and writable by its owner alone (0600), before
    the library opens it: SQLite would create it with the process umask (0644, usually), and
    it creates the -wal and -shm files beside it with the database file's own mode.

    An existing file keeps the mode it has. A file that cannot be made here (a missing
    folder, say) is left for the library to report as it opens the store.
    """
    if not name or SQLiteConnectionPool.detect_memory_mode(name):
        return
    path = unquote(urlsplit(name).path) if name.startswith("file:") else name
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError:
        return


# SQLite's default page cache is 2 MB a connection. A business-date read of a portfolio's
# composition touches several index pages and two history rows per member, scattered through a
# long history: at 1M events one 80-project portfolio's pages outgrow 2 MB, and every read
# decodes them again (2.2x the same read at 10k events; 1.2x with 8 MB). The cache grows only
# as pages are read, so a connection that reads little stays small.
PAGE_CACHE_KIB = 16 * 1024


class SQLiteLedgerConnectionPool(SQLiteConnectionPool):
    """The library's pool, each new connection with the ledger's page cache."""

    def _create_connection(self) -> SQLiteConnection:
        connection = super()._create_connection()
        connection.cursor().execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
        return connection


class SQLiteLedgerRecorder(SQLiteApplicationRecorder):
    def create_table(self) -> None:
        with sqlite_schema_lock(self.datastore):
            super().create_table()

    def _insert_events(
        self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        inserted = super()._insert_events(c, stored_events, **kwargs)
        hooks.within_write(kwargs, c)
        return inserted


class SQLiteSnapshotRecorder(SQLiteAggregateRecorder):
    def create_table(self) -> None:
        with sqlite_schema_lock(self.datastore):
            super().create_table()


class SQLiteLedgerTrackingRecorder(SQLiteTrackingRecorder):
    # The library looks for the table before the transaction that creates it (to migrate an
    # old one): without the lock, a process starting alongside can create it in between.
    def create_table(self) -> None:
        with sqlite_schema_lock(self.datastore):
            super().create_table()


class SQLiteLedgerFactory(SQLiteFactory):
    """The library's SQLite store with the ledger's recorders, on a file made owner-only."""

    aggregate_recorder_class = SQLiteSnapshotRecorder  # the application keeps snapshots there
    application_recorder_class = SQLiteLedgerRecorder
    tracking_recorder_class = SQLiteLedgerTrackingRecorder

    def __init__(self, env: Environment | EnvType | None) -> None:
        environment = env if isinstance(env, Environment) else Environment(env=env)
        create_owner_only(environment.get(self.SQLITE_DBNAME) or "")
        super().__init__(environment)
        library_pool = self.datastore.pool
        self.datastore.pool = SQLiteLedgerConnectionPool(
            db_name=library_pool.db_name,
            lock_timeout=library_pool.lock_timeout,
            pool_size=library_pool.pool_size,
            max_overflow=library_pool.max_overflow,
            pool_timeout=library_pool.pool_timeout,
            max_age=library_pool.max_age,
            pre_ping=library_pool.pre_ping,
        )
        library_pool.close()  # it has opened no connection yet
