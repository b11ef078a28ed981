"""The ledger's PostgreSQL recorders: the library's, with work done inside a write's
transaction and schema creation one process at a time (under one advisory lock).

Chosen through the library's environment: `PERSISTENCE_MODULE` names `PostgresLedgerFactory`'s
topic (`projections.store.persistence.ledger_env`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
    PostgresTrackingRecorder,
)

from projections.store import hooks
from projections.store.errors import as_library_errors

SCHEMA_LOCK = 7_362_545_026  # the advisory lock key every ledger process changes its schema under


@contextmanager
def postgres_schema_lock(datastore: PostgresDatastore) -> Iterator[None]:
    """The ledger's advisory lock, held until the block ends on a connection of its own: the
    library's statements inside take theirs from the pool, however small the pool is."""
    pool = datastore.pool
    if not isinstance(pool.kwargs, dict):  # the library's pool connects with these alone
        raise TypeError(f"the store's pool has no connection settings: {pool.kwargs!r}")
    params = dict(pool.kwargs)
    if pool.get_password_func is not None:
        params["password"] = pool.get_password_func()
    with as_library_errors():
        connection = psycopg.connect(
            autocommit=True, connect_timeout=max(2, round(pool.timeout)), **params
        )
    with connection:  # closing it releases the lock, whatever happened inside
        with as_library_errors():
            connection.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        yield


class PostgresLedgerRecorder(PostgresApplicationRecorder):
    def create_table(self) -> None:
        with postgres_schema_lock(self.datastore):
            super().create_table()

    def _fetch_ids_after_insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        # The library calls this inside the write's transaction, once the events are inserted.
        inserted = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        hooks.within_write(kwargs, curs)
        return inserted


class PostgresSnapshotRecorder(PostgresAggregateRecorder):
    def create_table(self) -> None:
        with postgres_schema_lock(self.datastore):
            super().create_table()


class PostgresLedgerTrackingRecorder(PostgresTrackingRecorder):
    def create_table(self) -> None:
        with postgres_schema_lock(self.datastore):
            super().create_table()


class PostgresLedgerFactory(PostgresFactory):
    """The library's PostgreSQL store with the ledger's recorders."""

    aggregate_recorder_class = PostgresSnapshotRecorder
    application_recorder_class = PostgresLedgerRecorder
    tracking_recorder_class = PostgresLedgerTrackingRecorder
