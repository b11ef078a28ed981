"""The event store: the library's, with two seams of the ledger's own.

Work done in a write's own transaction: a write's events and whatever `within_write` does with
the same cursor (the ledger service brings its views up to date there) commit together.

Schema creation, one process at a time: each recorder creates its tables and functions holding
the ledger's schema lock (an advisory lock on PostgreSQL, a lock file beside an SQLite
database), so any number of processes can start together on a fresh database. The ledger's own
tables are created under the same lock (`projections.store.database.Sql.ddl`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg
from eventsourcing.persistence import OperationalError, StoredEvent
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
    PostgresTrackingRecorder,
)
from eventsourcing.sqlite import (
    SQLiteAggregateRecorder,
    SQLiteApplicationRecorder,
    SQLiteConnectionPool,
    SQLiteDatastore,
    SQLiteFactory,
    SQLiteTrackingRecorder,
)
from eventsourcing.utils import get_topic

if sys.platform != "win32":
    import fcntl

WithinWrite = Callable[[Any], None]  # called with the write's cursor, after its events
# Opened around each write: yields the hook for it (or None), and learns how the write ended.
EachWrite = Callable[[], AbstractContextManager[WithinWrite | None]]
SCHEMA_LOCK = 7_362_545_026  # the advisory lock key every ledger process changes its schema under


@contextmanager
def postgres_schema_lock(datastore: PostgresDatastore) -> Iterator[None]:
    """The ledger's advisory lock, held until the block ends on a connection of its own: the
    library's statements inside take theirs from the pool, however small the pool is."""
    pool = datastore.pool
    assert isinstance(pool.kwargs, dict)  # the library's pool connects with these alone
    params = dict(pool.kwargs)
    if pool.get_password_func is not None:
        params["password"] = pool.get_password_func()
    with unreachable_store():
        connection = psycopg.connect(
            autocommit=True, connect_timeout=max(2, round(pool.timeout)), **params
        )
    with connection:  # closing it releases the lock, whatever happened inside
        with unreachable_store():
            connection.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        yield


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


@contextmanager
def unreachable_store() -> Iterator[None]:
    """The driver's errors on the lock's own connection, as the library reports its own."""
    try:
        yield
    except psycopg.Error as error:
        raise OperationalError(str(error)) from error


class SQLiteLedgerRecorder(SQLiteApplicationRecorder):
    def create_table(self) -> None:
        with sqlite_schema_lock(self.datastore):
            super().create_table()

    def _insert_events(
        self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        inserted = super()._insert_events(c, stored_events, **kwargs)
        within_write(kwargs, c)
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


class PostgresLedgerRecorder(PostgresApplicationRecorder):
    def create_table(self) -> None:
        with postgres_schema_lock(self.datastore):
            super().create_table()

    def _fetch_ids_after_insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        # The library calls this inside the write's transaction, once the events are inserted.
        inserted = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        within_write(kwargs, curs)
        return inserted


class PostgresSnapshotRecorder(PostgresAggregateRecorder):
    def create_table(self) -> None:
        with postgres_schema_lock(self.datastore):
            super().create_table()


class PostgresLedgerTrackingRecorder(PostgresTrackingRecorder):
    def create_table(self) -> None:
        with postgres_schema_lock(self.datastore):
            super().create_table()


def within_write(kwargs: dict[str, Any], cursor: Any) -> None:
    work: WithinWrite | None = kwargs.get("within_write")
    if work is not None:
        work(cursor)


class SQLiteLedgerFactory(SQLiteFactory):
    aggregate_recorder_class = SQLiteSnapshotRecorder  # the application keeps snapshots there
    application_recorder_class = SQLiteLedgerRecorder
    tracking_recorder_class = SQLiteLedgerTrackingRecorder


class PostgresLedgerFactory(PostgresFactory):
    aggregate_recorder_class = PostgresSnapshotRecorder
    application_recorder_class = PostgresLedgerRecorder
    tracking_recorder_class = PostgresLedgerTrackingRecorder


FACTORY_TOPICS = {
    "eventsourcing.sqlite": get_topic(SQLiteLedgerFactory),
    "eventsourcing.postgres": get_topic(PostgresLedgerFactory),
}
SQLITE_MODULES = ("eventsourcing.sqlite", FACTORY_TOPICS["eventsourcing.sqlite"])


def with_recorder(env: dict[str, str]) -> dict[str, str]:
    """The application's environment, naming the ledger's infrastructure for its store."""
    topic = FACTORY_TOPICS.get(env.get("PERSISTENCE_MODULE", ""))
    return {**env, "PERSISTENCE_MODULE": topic} if topic else env


def create_owner_only(env: Mapping[str, str]) -> None:
    """Make a new SQLite ledger file readable and writable by its owner alone (0600), before
    the library opens it: SQLite would create it with the process umask (0644, usually), and
    it creates the -wal and -shm files beside it with the database file's own mode.

    An existing file keeps the mode it has. A file that cannot be made here (a missing
    folder, say) is left for the library to report as it opens the store.
    """
    if env.get("PERSISTENCE_MODULE") not in SQLITE_MODULES:
        return
    name = env.get("SQLITE_DBNAME") or ""
    if not name or SQLiteConnectionPool.detect_memory_mode(name):
        return
    path = unquote(urlsplit(name).path) if name.startswith("file:") else name
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError:
        return
